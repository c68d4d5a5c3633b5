import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { type FormEvent, useState } from "react";
import { RecoveryCodesShown } from "./RecoveryCodesShown.tsx";
import {
  confirmTotp,
  factorErrorMessage,
  generateRecoveryCodes,
  registerPasskey,
  type Session,
  setupTotp,
} from "./second-factor-api.ts";

type Step =
  | { kind: "choose" }
  | { kind: "totp"; secret: string; qrSvg: string }
  | { kind: "codes"; codes: string[]; session: Session };

/**
 * Enrolment of a second factor: a passkey first (this device's screen lock, or a security key), an
 * authenticator application with its QR code for those who cannot, then the ten recovery codes to write
 * down. `onSkip` is given when the role does not require a factor yet ("Plus tard").
 */
export function EnrolFactor(props: {
  onDone(session: Session): void;
  onSkip?: () => void;
  skipLabel?: string;
  /** Recovery codes are generated after the first factor; not when adding a second one. */
  withRecoveryCodes?: boolean;
}) {
  const [step, setStep] = useState<Step>({ kind: "choose" });
  const [name, setName] = useState("Clé d'accès");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function finish(session: Session) {
    if (props.withRecoveryCodes === false) return props.onDone(session);
    try {
      const { codes } = await generateRecoveryCodes();
      setStep({ kind: "codes", codes, session });
      setBusy(false);
    } catch {
      props.onDone(session);
    }
  }

  async function run(action: () => Promise<void>, method: "webauthn" | "totp") {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(factorErrorMessage(err, method));
      setBusy(false);
    }
  }

  if (step.kind === "codes") {
    return <RecoveryCodesShown codes={step.codes} onDone={() => props.onDone(step.session)} />;
  }

  function submitTotp(e: FormEvent) {
    e.preventDefault();
    const typed = code.replace(/\s/g, "");
    setCode("");
    void run(async () => finish(await confirmTotp(typed)), "totp");
  }

  return (
    <section aria-labelledby="enrol-title">
      <h2 id="enrol-title" className="fr-h4">
        Protéger votre compte par une double authentification
      </h2>
      {error && <Alert severity="error" small description={error} role="alert" className="fr-mb-3w" />}
      {step.kind === "choose" ? (
        <>
          <p>
            Une <strong>clé d'accès</strong> utilise le verrouillage de cet appareil (empreinte, visage, code)
            ou une clé de sécurité USB : rien à recopier à chaque connexion.
          </p>
          <Input
            label="Nom de la clé"
            hintText="Pour la reconnaître plus tard : « téléphone », « ordinateur du bureau »…"
            nativeInputProps={{ value: name, maxLength: 80, onChange: (e) => setName(e.target.value) }}
          />
          <Button
            iconId="fr-icon-fingerprint-line"
            disabled={busy}
            className="pris-block-button"
            onClick={() =>
              void run(async () => finish(await registerPasskey(name.trim() || undefined)), "webauthn")
            }
          >
            {busy ? "Création…" : "Créer une clé d'accès"}
          </Button>
          <p className="fr-mt-3w">Votre appareil ne le permet pas ?</p>
          <Button
            priority="secondary"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const setup = await setupTotp();
                setStep({ kind: "totp", secret: setup.secret, qrSvg: setup.qrSvg });
                setBusy(false);
              }, "totp")
            }
          >
            Utiliser une application d'authentification
          </Button>
        </>
      ) : (
        <form onSubmit={submitTotp} noValidate>
          <p>
            Scannez ce QR code avec votre application d'authentification (FreeOTP, Aegis, Google ou Microsoft
            Authenticator…), puis saisissez le code à 6 chiffres qu'elle affiche.
          </p>
          <img
            src={`data:image/svg+xml;base64,${btoa(step.qrSvg)}`}
            alt="QR code à scanner avec l'application d'authentification"
            width={200}
            height={200}
          />
          <p className="fr-text--sm">
            Ou saisissez cette clé à la main : <code data-testid="totp-secret">{step.secret}</code>
          </p>
          <Input
            label="Code à 6 chiffres"
            nativeInputProps={{
              value: code,
              onChange: (e) => setCode(e.target.value),
              autoComplete: "one-time-code",
              inputMode: "numeric",
              name: "totp",
            }}
          />
          <Button type="submit" disabled={busy}>
            {busy ? "Vérification…" : "Valider"}
          </Button>
        </form>
      )}
      {props.onSkip && (
        <p className="fr-mt-3w">
          <Button priority="tertiary no outline" onClick={props.onSkip}>
            {props.skipLabel ?? "Plus tard"}
          </Button>
        </p>
      )}
    </section>
  );
}
