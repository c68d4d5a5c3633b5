import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { usePageTitle } from "../components/Layout.tsx";
import { TextField } from "../components/TextField.tsx";

/**
 * "Mot de passe oublié": the person gives their address and gets, if it has an account, a single-use
 * link by e-mail. The page says the same whatever the address, as the server does.
 */
export function ForgotPasswordPage() {
  usePageTitle("Mot de passe oublié");
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
      setError("Saisissez une adresse électronique valide, au format nom@domaine.fr.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ message: string }>("/auth/password-reset", { email: email.trim() });
      setSent(answer.message);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        setError("Trop de demandes depuis cette connexion. Patientez quelques minutes avant de réessayer.");
      } else if (err instanceof ApiError && err.status === 400) {
        setError("Saisissez une adresse électronique valide, au format nom@domaine.fr.");
      } else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h2">Mot de passe oublié</h1>
      {sent ? (
        <>
          <Alert severity="success" title="Demande enregistrée" description={sent} className="fr-mb-3w" />
          <p>
            Le lien expire au bout de quelques minutes et ne sert qu'une fois. Pensez à regarder dans vos
            courriers indésirables. Rien reçu&nbsp;? Vérifiez l'adresse saisie, ou contactez le pôle régional
            cyber.
          </p>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>
            Saisissez l'adresse électronique de votre compte&nbsp;: vous recevrez un lien pour choisir un
            nouveau mot de passe.
          </p>
          <TextField
            id="forgot-email"
            label="Adresse électronique"
            hint="Format attendu : nom@domaine.fr"
            type="email"
            autoComplete="username"
            inputMode="email"
            autoCapitalize="none"
            spellCheck={false}
            value={email}
            onValue={setEmail}
            maxLength={254}
            required
          />
          {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
          <Button type="submit" disabled={busy}>
            Recevoir un lien par courriel
          </Button>
        </form>
      )}
      <p className="fr-mt-4w">
        <Link to="/connexion" className="fr-link">
          Retour à la connexion
        </Link>
      </p>
    </div>
  );
}
