import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { Establishment } from "@pris/domain";
import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api } from "../../../api/client.ts";
import { usePageTitle } from "../../../components/Layout.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { useResource } from "../../../lib/use-resource.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { EstablishmentForm } from "./EstablishmentForm.tsx";
import { createBody, draftOf, emptyDraft, patchBody } from "./establishment-draft.ts";
import { describeAdminProblem, frenchDay } from "./reference-common.ts";

export const ESTABLISHMENTS_BASE = "/administration/etablissements";

const Back = () => (
  <p>
    <Link to={ESTABLISHMENTS_BASE} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
      Tous les établissements
    </Link>
  </p>
);

/** Registering an establishment by hand (the registry import does it by the thousand). */
export function EstablishmentCreateView() {
  usePageTitle("Nouvel établissement");
  const navigate = useNavigate();
  const [draft, setDraft] = useState(emptyDraft);
  const { busy, error, run } = useSubmission(describeAdminProblem);
  const submit = () =>
    void run(async () => {
      const created = await api.post<Establishment>("/establishments", createBody(draft));
      navigate(`${ESTABLISHMENTS_BASE}/${created.id}`, { state: { created: true } });
    });
  return (
    <main className="fr-container fr-my-6w">
      <Back />
      <h1>Nouvel établissement</h1>
      <EstablishmentForm
        draft={draft}
        setDraft={setDraft}
        mode="create"
        busy={busy}
        error={error}
        onSubmit={submit}
      />
    </main>
  );
}

function Editor({
  establishment,
  onSaved,
}: {
  establishment: Establishment;
  onSaved(e: Establishment): void;
}) {
  const [draft, setDraft] = useState(() => draftOf(establishment));
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmission(describeAdminProblem);
  const submit = () => {
    setSaved(false);
    void run(async () => {
      onSaved(await api.patch<Establishment>(`/establishments/${establishment.id}`, patchBody(draft)));
      setSaved(true);
    });
  };
  return (
    <>
      {saved && (
        <Alert severity="success" small description="Modifications enregistrées." className="fr-mb-2w" />
      )}
      <EstablishmentForm
        draft={draft}
        setDraft={setDraft}
        mode="edit"
        busy={busy}
        error={error}
        onSubmit={submit}
      />
    </>
  );
}

/** One establishment: its state in the registry, and every field to correct. */
export function EstablishmentEditView() {
  const { id = "" } = useParams();
  const { state, reload, set } = useResource<Establishment>(`/establishments/${id}`);
  const activity = useSubmission(describeAdminProblem);
  const [version, setVersion] = useState(0);
  const created = (useLocation().state as { created?: boolean } | null)?.created === true;
  usePageTitle(state.status === "ready" ? state.data.name : "Établissement");
  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error")
    return (
      <main className="fr-container fr-my-6w">
        <Back />
        <LoadError title="Établissement indisponible" message={state.message} retry={reload} />
      </main>
    );
  const e = state.data;
  const toggle = () =>
    void activity.run(async () => {
      set(await api.post<Establishment>(`/establishments/${e.id}/${e.active ? "deactivate" : "reactivate"}`));
      setVersion((v) => v + 1);
    });
  return (
    <main className="fr-container fr-my-6w">
      <Back />
      <h1>{e.name}</h1>
      {created && version === 0 && (
        <Alert severity="success" small description="Établissement enregistré." className="fr-mb-2w" />
      )}
      <p>
        FINESS {e.finess}{" "}
        {e.active ? (
          <Badge severity="success" small>
            Actif
          </Badge>
        ) : (
          <Badge severity="warning" small>
            Inactif depuis le {frenchDay(e.activeUntil)}
          </Badge>
        )}
      </p>
      <p className="pris-muted">
        {e.activeFrom ? `Au répertoire depuis le ${frenchDay(e.activeFrom)}. ` : ""}
        {e.registryUpdatedOn ? `Fiche FINESS mise à jour le ${frenchDay(e.registryUpdatedOn)}.` : ""}
      </p>
      {activity.error && <Alert severity="error" small description={activity.error} className="fr-mb-2w" />}
      <Button priority="secondary" disabled={activity.busy} onClick={toggle} className="fr-mb-4w">
        {e.active ? "Désactiver l'établissement" : "Réactiver l'établissement"}
      </Button>
      <Editor key={version} establishment={e} onSaved={set} />
    </main>
  );
}
