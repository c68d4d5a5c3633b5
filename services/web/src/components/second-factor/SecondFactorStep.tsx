import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { type FormEvent, useState } from "react";
import {
  factorErrorMessage,
  type SecondFactorMethod,
  type Session,
  signWithPasskey,
  verifyRecoveryCode,
  verifyTotp,
} from "./second-factor-api.ts";

/**
 * The second step of sign-in (and the re-check before removing a factor): a passkey first when the person
 * has one, otherwise or on request the authenticator application's code, or a recovery code.
 */
export function SecondFactorStep(props: {
  methods: SecondFactorMethod[];
  onDone(session: Session): void;
  title?: string;
}) {
  const hasPasskey = props.methods.includes("webauthn");
  const [mode, setMode] = useState<SecondFactorMethod>(
    hasPasskey ? "webauthn" : props.methods.includes("totp") ? "totp" : "recovery",
  );
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(method: SecondFactorMethod, action: () => Promise<Session>) {
    setBusy(true);
    setError(null);
    try {
      props.onDone(await action());
    } catch (err) {
      setError(factorErrorMessage(err, method));
      setBusy(false);
    }
  }

  function submitCode(e: FormEvent) {
    e.preventDefault();
    const typed = code.trim();
    if (!typed) return;
    void run(mode, () =>
      mode === "totp" ? verifyTotp(typed.replace(/\s/g, "")) : verifyRecoveryCode(typed),
    );
    setCode("");
  }

  const others = props.methods.filter((m) => m !== mode);
  const switchLabel: Record<SecondFactorMethod, string> = {
    webauthn: "Utiliser ma clé d'accès",
    totp: "Saisir un code de l'application d'authentification",
    recovery: "Utiliser un code de secours",
  };

  return (
    <section aria-labelledby="second-factor-title">
      <h2 id="second-factor-title" className="fr-h4">
        {props.title ?? "Vérification en deux étapes"}
      </h2>
      {error && <Alert severity="error" small description={error} role="alert" className="fr-mb-3w" />}
      {mode === "webauthn" ? (
        <>
          <p>
            Confirmez votre identité avec la clé d'accès enregistrée sur cet appareil ou votre clé de
            sécurité.
          </p>
          <Button
            iconId="fr-icon-fingerprint-line"
            disabled={busy}
            onClick={() => void run("webauthn", signWithPasskey)}
            className="pris-block-button"
          >
            {busy ? "Vérification…" : "Utiliser ma clé d'accès"}
          </Button>
        </>
      ) : (
        <form onSubmit={submitCode} noValidate>
          <Input
            label={mode === "totp" ? "Code à 6 chiffres" : "Code de secours"}
            hintText={
              mode === "totp"
                ? "Affiché par votre application d'authentification"
                : "L'un des dix codes notés lors de l'inscription ; chacun ne sert qu'une fois"
            }
            nativeInputProps={{
              value: code,
              onChange: (e) => setCode(e.target.value),
              autoComplete: "one-time-code",
              inputMode: mode === "totp" ? "numeric" : "text",
              autoCapitalize: "characters",
              spellCheck: false,
              autoFocus: true,
              name: mode === "totp" ? "totp" : "recovery",
            }}
          />
          <Button type="submit" disabled={busy} className="pris-block-button">
            {busy ? "Vérification…" : "Valider"}
          </Button>
        </form>
      )}
      {others.length > 0 && (
        <ul className="fr-mt-3w fr-btns-group fr-btns-group--tertiary-no-outline">
          {others.map((m) => (
            <li key={m}>
              <Button
                priority="tertiary no outline"
                onClick={() => {
                  setMode(m);
                  setError(null);
                }}
              >
                {switchLabel[m]}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <p className="fr-text--sm pris-muted">
        Vous avez perdu votre clé et vos codes ? Contactez l'administrateur de la plateforme : il peut
        réinitialiser votre double authentification.
      </p>
    </section>
  );
}
