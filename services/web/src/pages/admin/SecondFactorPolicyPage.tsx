import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { ROLE_LABELS, type SecondFactorPolicy } from "@pris/domain";
import { useState } from "react";
import { api } from "../../api/client.ts";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { useResource } from "../../lib/use-resource.ts";
import { useSubmission } from "../../lib/use-submission.ts";
import { formatShort, fromZonedInputValue, toZonedInputValue } from "../../lib/zoned-time.ts";
import { useApp } from "../../session.tsx";
import { describeUserProblem } from "./users/user-problems.ts";

/** One role's rule: required or offered, and from when (a rollout period for the RSSIs). */
function PolicyRow({
  policy,
  onSaved,
}: {
  policy: SecondFactorPolicy;
  onSaved(p: SecondFactorPolicy): void;
}) {
  const { config } = useApp();
  const [required, setRequired] = useState(policy.required);
  const [from, setFrom] = useState(
    policy.requiredFrom ? toZonedInputValue(new Date(policy.requiredFrom), config.timeZone) : "",
  );
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmission(describeUserProblem);
  const label = ROLE_LABELS[policy.role];

  const save = () => {
    const date = from ? fromZonedInputValue(from, config.timeZone) : null;
    if (from && !date) return setError("Date invalide.");
    void run(async () => {
      const saved = await api.put<SecondFactorPolicy>(`/second-factor-policies/${policy.role}`, {
        required,
        requiredFrom: required && date ? date.toISOString() : null,
      });
      setNotice("Règle enregistrée.");
      onSaved(saved);
    });
  };

  const now = !policy.required
    ? "facultative"
    : policy.requiredFrom && new Date(policy.requiredFrom) > new Date()
      ? `facultative, obligatoire à partir du ${formatShort(policy.requiredFrom, config.timeZone)}`
      : "obligatoire";

  return (
    <fieldset className="fr-fieldset fr-mb-4w" aria-label={label}>
      <legend className="fr-fieldset__legend fr-h5">{label}</legend>
      <p className="fr-col-12">Aujourd'hui : {now}.</p>
      <div className="fr-col-12">
        <Checkbox
          options={[
            {
              label: "Double authentification obligatoire",
              nativeInputProps: { checked: required, onChange: (e) => setRequired(e.target.checked) },
            },
          ]}
        />
        {required && (
          <Input
            label="À partir du (facultatif)"
            hintText="Laissez vide pour l'imposer dès maintenant ; avant cette date, elle est seulement proposée."
            nativeInputProps={{
              type: "datetime-local",
              value: from,
              onChange: (e) => setFrom(e.target.value),
            }}
          />
        )}
        {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
        {notice && <Alert severity="success" small description={notice} className="fr-mb-2w" />}
        <Button size="small" disabled={busy} onClick={save}>
          Enregistrer
        </Button>
      </div>
    </fieldset>
  );
}

/** Administration: which roles must use a second factor, and from when. */
export function SecondFactorPolicyPage() {
  usePageTitle("Double authentification");
  const { state, reload, set } = useResource<SecondFactorPolicy[]>("/second-factor-policies");
  return (
    <div className="fr-container fr-my-6w">
      <h1>Double authentification</h1>
      <p className="pris-narrow">
        Une clé d'accès, une application d'authentification ou un code de secours s'ajoute au mot de passe.
        Une connexion par ProConnect ou Pro Santé Connect d'un niveau fort compte pour les deux facteurs. Une
        personne qui a perdu ses facteurs se réinitialise depuis sa fiche dans « Utilisateurs ».
      </p>
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="Règles indisponibles" message={state.message} retry={reload} />
      )}
      {state.status === "ready" &&
        state.data.map((p) => (
          <PolicyRow
            key={`${p.role}-${p.updatedAt}`}
            policy={p}
            onSaved={(saved) => set(state.data.map((q) => (q.role === saved.role ? saved : q)))}
          />
        ))}
    </div>
  );
}
