import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import type { Me } from "@pris/domain";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError, api, NetworkError, setCsrfToken } from "../api/client.ts";
import { EnrolFactor } from "./second-factor/EnrolFactor.tsx";
import { SecondFactorStep } from "./second-factor/SecondFactorStep.tsx";
import {
  isChallenge,
  type MyFactors,
  type SecondFactorChallenge,
} from "./second-factor/second-factor-api.ts";

interface LoginAnswer {
  csrfToken: string;
  user: Me;
}

function loginErrorMessage(err: unknown): string {
  if (err instanceof NetworkError) {
    return "Connexion impossible : le service est injoignable. Vérifiez votre réseau (Wi-Fi ou données mobiles) et réessayez.";
  }
  if (err instanceof ApiError) {
    if (err.status === 401) return "Adresse électronique ou mot de passe incorrect.";
    if (err.status === 429) {
      const minutes = err.retryAfterSeconds ? Math.max(1, Math.ceil(err.retryAfterSeconds / 60)) : null;
      return minutes
        ? `Trop de tentatives de connexion. Réessayez dans ${minutes} minute${minutes > 1 ? "s" : ""}.`
        : "Trop de tentatives de connexion. Patientez quelques minutes avant de réessayer.";
    }
    if (err.status === 400) return "Vérifiez l'adresse électronique et le mot de passe saisis.";
  }
  return "La connexion a échoué. Réessayez dans un instant.";
}

/**
 * Whether to offer enrolment after a sign-in with the password alone: the role's factor becomes required
 * at a date the administrator set, and the person has none yet.
 */
async function rolloutOffer(): Promise<boolean> {
  try {
    const mine = await api.get<MyFactors>("/auth/second-factor", { timeoutMs: 10_000 });
    return !mine.required && mine.requiredFrom !== null && mine.passkeys.length === 0 && !mine.totp.enrolled;
  } catch {
    return false;
  }
}

/**
 * Email + password. Used by the login page and inline on the declaration form when the
 * session expired mid-declaration, so the draft never leaves the screen.
 */
export function LoginForm(props: {
  onSuccess(session: LoginAnswer): void;
  submitLabel?: string;
  initialEmail?: string;
  autoFocus?: boolean;
}) {
  const id = useId();
  const [email, setEmail] = useState(props.initialEmail ?? "");
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState<{ email?: boolean; password?: boolean }>({});
  const [challenge, setChallenge] = useState<SecondFactorChallenge | null>(null);
  /** Signed in, and offered to enrol during the role's rollout period ("Plus tard" goes on). */
  const [offer, setOffer] = useState<LoginAnswer | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (props.autoFocus) (props.initialEmail ? passwordRef : emailRef).current?.focus();
  }, [props.autoFocus, props.initialEmail]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const m = { email: email.trim() === "", password: password === "" };
    setMissing(m);
    if (m.email || m.password) {
      (m.email ? emailRef : passwordRef).current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    try {
      const answer = await api.post<LoginAnswer | SecondFactorChallenge>("/auth/login", {
        email: email.trim(),
        password,
      });
      setPassword("");
      // The second-factor routes need the new session's CSRF token, pending or not.
      setCsrfToken(answer.csrfToken);
      if (isChallenge(answer)) {
        setChallenge(answer);
        setPending(false);
        return;
      }
      if (await rolloutOffer()) {
        setOffer(answer);
        setPending(false);
        return;
      }
      props.onSuccess(answer);
    } catch (err) {
      setError(loginErrorMessage(err));
      setPending(false);
    }
  }

  if (challenge?.secondFactor === "verify") {
    return <SecondFactorStep methods={challenge.methods} onDone={props.onSuccess} />;
  }
  if (challenge?.secondFactor === "enrol") {
    return <EnrolFactor onDone={props.onSuccess} />;
  }
  if (offer) {
    return <EnrolFactor onDone={props.onSuccess} onSkip={() => props.onSuccess(offer)} />;
  }

  return (
    <form onSubmit={submit} noValidate aria-describedby={error ? `${id}-error` : undefined}>
      {error && (
        <div id={`${id}-error`} className="fr-mb-3w">
          <Alert severity="error" small description={error} role="alert" />
        </div>
      )}
      <Input
        label="Adresse électronique"
        hintText="Format attendu : nom@domaine.fr"
        state={missing.email ? "error" : "default"}
        stateRelatedMessage="Saisissez votre adresse électronique."
        nativeInputProps={{
          ref: emailRef,
          id: `${id}-email`,
          type: "email",
          name: "email",
          autoComplete: "username",
          inputMode: "email",
          autoCapitalize: "none",
          spellCheck: false,
          value: email,
          onChange: (e) => setEmail(e.target.value),
          "aria-required": true,
        }}
      />
      <Input
        label="Mot de passe"
        state={missing.password ? "error" : "default"}
        stateRelatedMessage="Saisissez votre mot de passe."
        nativeInputProps={{
          ref: passwordRef,
          id: `${id}-password`,
          type: "password",
          name: "password",
          autoComplete: "current-password",
          value: password,
          onChange: (e) => setPassword(e.target.value),
          "aria-required": true,
        }}
      />
      <Button type="submit" disabled={pending} className="pris-block-button" iconId="fr-icon-lock-line">
        {pending ? "Connexion…" : (props.submitLabel ?? "Se connecter")}
      </Button>
    </form>
  );
}
