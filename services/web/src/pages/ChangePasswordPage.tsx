import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { type FormEvent, useState } from "react";
import { api, describeError } from "../api/client.ts";
import { usePageTitle } from "../components/Layout.tsx";
import { NewPasswordFields, passwordRefusal } from "../components/NewPasswordFields.tsx";
import { TextField } from "../components/TextField.tsx";
import { useMe } from "../session.tsx";

/** "Mot de passe": the signed-in person changes theirs; their other sessions end, this one stays. */
export function ChangePasswordPage() {
  usePageTitle("Mot de passe");
  const me = useMe();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [error, setError] = useState<{ field: "current" | "new" | null; message: string } | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (current === "") {
      setError({ field: "current", message: "Saisissez votre mot de passe actuel." });
      return;
    }
    if (password !== confirmation) {
      setError({ field: "new", message: "Les deux mots de passe ne sont pas identiques." });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post("/auth/password", { currentPassword: current, newPassword: password });
      setDone(true);
      setCurrent("");
      setPassword("");
      setConfirmation("");
    } catch (err) {
      const wrongCurrent = passwordRefusal(err, "/currentPassword");
      const refused = passwordRefusal(err, "/newPassword");
      if (wrongCurrent) setError({ field: "current", message: wrongCurrent });
      else if (refused) setError({ field: "new", message: refused });
      else setError({ field: null, message: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h2">Mot de passe</h1>
      {done && (
        <Alert
          severity="success"
          title="Mot de passe changé"
          description="Votre nouveau mot de passe est enregistré. Vos autres sessions ouvertes (autres appareils, autres navigateurs) ont été fermées."
          className="fr-mb-3w"
        />
      )}
      <form onSubmit={submit} noValidate>
        <input type="email" name="username" autoComplete="username" value={me.email} readOnly hidden />
        <TextField
          id="current-password"
          label="Mot de passe actuel"
          type="password"
          autoComplete="current-password"
          value={current}
          onValue={setCurrent}
          maxLength={200}
          required
        />
        {error?.field === "current" && (
          <p className="fr-message fr-message--error fr-mb-2w">{error.message}</p>
        )}
        <NewPasswordFields
          idPrefix="new-password"
          label="Nouveau mot de passe"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
          person={{ email: me.email, displayName: me.displayName }}
        />
        {error && error.field !== "current" && (
          <Alert severity="error" small description={error.message} className="fr-mb-2w" />
        )}
        <Button type="submit" disabled={busy}>
          Changer mon mot de passe
        </Button>
      </form>
    </div>
  );
}
