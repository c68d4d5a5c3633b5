import {
  checkPassword,
  loadPasswordEstimator,
  PASSWORD_MIN_LENGTH,
  PASSWORD_SCORE_LABELS,
  type PasswordCheck,
  type PasswordContext,
  type PasswordEstimator,
} from "@pris/domain";
import { useEffect, useState } from "react";
import { ApiError } from "../api/client.ts";
import { useApp } from "../session.tsx";
import { TextField } from "./TextField.tsx";

/** The estimator and its dictionaries, fetched when a page where a password is chosen opens. */
function useEstimator(): PasswordEstimator | null {
  const [estimator, setEstimator] = useState<PasswordEstimator | null>(null);
  useEffect(() => {
    let live = true;
    loadPasswordEstimator().then(
      (e) => live && setEstimator(e),
      () => {
        // Offline or blocked: the server still checks, and says why it refuses.
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return estimator;
}

/** The verdict on what is typed, a moment after the last key (the check takes a few milliseconds). */
function usePasswordCheck(password: string, context: PasswordContext): PasswordCheck | null {
  const estimator = useEstimator();
  const [check, setCheck] = useState<PasswordCheck | null>(null);
  const { email, displayName, regionName, regionCode } = context;
  useEffect(() => {
    if (!estimator || password === "") {
      setCheck(null);
      return;
    }
    const timer = setTimeout(
      () => setCheck(checkPassword(estimator, password, { email, displayName, regionName, regionCode })),
      150,
    );
    return () => clearTimeout(timer);
  }, [estimator, password, email, displayName, regionName, regionCode]);
  return check;
}

/** Why the server refused a new password, in its own French words, when it names the field. */
export function passwordRefusal(err: unknown, field: string): string | null {
  if (!(err instanceof ApiError) || err.status !== 400) return null;
  const error = err.problem.errors?.find((e) => e.field === field);
  return error ? error.message : null;
}

/**
 * A new password, typed twice, with a meter and the policy's French feedback as the person types:
 * the same rule the server applies (packages/domain), so what the page accepts the server accepts.
 */
export function NewPasswordFields(props: {
  idPrefix: string;
  label: string;
  password: string;
  confirmation: string;
  onPassword(value: string): void;
  onConfirmation(value: string): void;
  person: { email?: string; displayName?: string };
}) {
  const { config } = useApp();
  const check = usePasswordCheck(props.password, {
    ...props.person,
    regionName: config.regionName,
    regionCode: config.regionCode,
  });
  const meterId = `${props.idPrefix}-meter`;
  return (
    <>
      <TextField
        id={props.idPrefix}
        label={props.label}
        hint={`Au moins ${PASSWORD_MIN_LENGTH} caractères. Une phrase de plusieurs mots sans rapport entre eux est facile à retenir et difficile à deviner ; évitez votre nom, votre adresse, PRIS et le nom de la région.`}
        type="password"
        autoComplete="new-password"
        value={props.password}
        onValue={props.onPassword}
        maxLength={200}
        aria-describedby={meterId}
        required
      />
      <div id={meterId} className="fr-mb-3w" aria-live="polite" data-testid="password-feedback">
        {check && (
          <>
            <meter
              aria-label="Solidité du mot de passe"
              min={0}
              max={4}
              low={2}
              high={3.5}
              optimum={4}
              value={check.score}
              style={{ width: "100%", height: 8 }}
            >
              {PASSWORD_SCORE_LABELS[check.score]}
            </meter>
            <p className="fr-text--sm fr-mb-1v">
              Solidité&nbsp;: <strong>{PASSWORD_SCORE_LABELS[check.score]}</strong>
              {check.acceptable ? " — ce mot de passe convient." : ""}
            </p>
            {check.problems.map((p) => (
              <p key={p} className="fr-message fr-message--error fr-text--sm fr-mb-1v">
                {p}
              </p>
            ))}
            {!check.acceptable &&
              check.suggestions.map((s) => (
                <p key={s} className="fr-message fr-message--info fr-text--sm fr-mb-1v">
                  {s}
                </p>
              ))}
          </>
        )}
      </div>
      <TextField
        id={`${props.idPrefix}-confirmation`}
        label="Saisissez-le à nouveau"
        type="password"
        autoComplete="new-password"
        value={props.confirmation}
        onValue={props.onConfirmation}
        maxLength={200}
        required
      />
    </>
  );
}
