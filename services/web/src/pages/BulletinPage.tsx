import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  BULLETIN_ANSWER_LABELS,
  type Bulletin,
  type BulletinAnswer,
  type BulletinDashboard,
  CATEGORIES,
  type Category,
} from "@pris/domain";
import { useCallback, useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { api, describeError, isUnauthorized } from "../api/client.ts";
import { BulletinView } from "../components/bulletin/BulletinView.tsx";
import { PendingList } from "../components/bulletin/PendingList.tsx";
import { DataTable } from "../components/DataTable.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { LoadError } from "../components/LoadError.tsx";
import { ANSWER_BUTTONS } from "../lib/bulletin-labels.ts";
import { useSubmission } from "../lib/use-submission.ts";
import { formatShort } from "../lib/zoned-time.ts";
import { useApp, useMe } from "../session.tsx";

type State =
  | { status: "loading" }
  | { status: "ready"; bulletin: Bulletin }
  | { status: "error"; message: string };

function Tile({ label, value }: { label: string; value: number }) {
  return (
    <div className="pris-tile">
      <strong>{value}</strong>
      {label}
    </div>
  );
}

function Dashboard({ board, timeZone }: { board: BulletinDashboard; timeZone: string }) {
  const { totals } = board;
  const row = (
    c: BulletinDashboard["byTerritory"][number] | BulletinDashboard["byCategory"][number],
    name: string,
  ) => ({
    key: name,
    cells: [name, c.recipients, c.delivered, c.acknowledged, c.concerned, c.notConcerned, c.fixed],
  });
  const headers = ["Destinataires", "Remis", "Ont répondu", "Concernés", "Non concernés", "Corrigé"];
  return (
    <section aria-label="Suivi de la diffusion" className="fr-mt-4w">
      <h2 className="fr-h3">Diffusion et accusés de réception</h2>
      <div className="pris-tiles" data-testid="dashboard-totals">
        <Tile label="Établissements" value={totals.establishments} />
        <Tile label="Destinataires" value={totals.recipients} />
        <Tile label="Courriels remis" value={totals.delivered} />
        <Tile label="Ont répondu" value={totals.acknowledged} />
        <Tile label="Concernés" value={totals.concerned} />
        <Tile label="Corrigé" value={totals.fixed} />
        <Tile label="En attente d'envoi" value={totals.queued + totals.deferred} />
        <Tile label="Échecs d'envoi" value={totals.failed} />
      </div>
      <h3 className="fr-h5">Par territoire</h3>
      <DataTable
        caption="Diffusion par territoire"
        headers={["Territoire", ...headers]}
        rows={board.byTerritory.map((t) => row(t, t.name))}
      />
      <h3 className="fr-h5">Par catégorie</h3>
      <DataTable
        caption="Diffusion par catégorie"
        headers={["Catégorie", ...headers]}
        rows={board.byCategory.map((c) => row(c, CATEGORIES[c.category as Category]?.label ?? c.category))}
      />
      <h3 className="fr-h5">Sans réponse ({totals.recipients - totals.acknowledged})</h3>
      {board.pending.length === 0 ? (
        <p>Tous les destinataires ont répondu.</p>
      ) : (
        <PendingList pending={board.pending} timeZone={timeZone} />
      )}
      {board.failures.length > 0 && (
        <>
          <h3 className="fr-h5">Échecs d'envoi</h3>
          <DataTable
            caption="Échecs d'envoi"
            headers={["Adresse", "Tentatives", "Réponse du serveur"]}
            rows={board.failures.map((f) => ({
              key: f.email,
              cells: [f.email, f.attempts, f.smtpResponse ?? f.lastError ?? ""],
            }))}
          />
        </>
      )}
    </section>
  );
}

/**
 * A bulletin. The pole sees its delivery and acknowledgement dashboard and drives it (publish, revise,
 * pause); the ARS reads the dashboard; an RSSI reads the bulletin — TLP:RED ones only here — and answers.
 */
export function BulletinPage() {
  const { id } = useParams();
  const { config, expired } = useApp();
  const me = useMe();
  const [state, setState] = useState<State>({ status: "loading" });
  const [board, setBoard] = useState<BulletinDashboard | null>(null);
  const [attempt, setAttempt] = useState(0);
  const { busy, error, run } = useSubmission();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const navigate = useNavigate();
  const [answered, setAnswered] = useState<BulletinAnswer | null>(null);
  usePageTitle(state.status === "ready" ? (state.bulletin.reference ?? "Brouillon") : "Bulletin");

  const load = useCallback(async () => {
    const bulletin = await api.get<Bulletin>(`/bulletins/${id}`);
    setState({ status: "ready", bulletin });
    setAnswered(bulletin.myAnswer ?? null);
    if ((me.role === "analyst" || me.role === "ars") && bulletin.status === "published") {
      setBoard(await api.get<BulletinDashboard>(`/bulletins/${id}/dashboard`));
    }
  }, [id, me.role]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the load on demand
  useEffect(() => {
    load().catch((err: unknown) => {
      if (isUnauthorized(err)) return expired();
      setState({ status: "error", message: describeError(err) });
    });
  }, [load, expired, attempt]);

  function act(work: () => Promise<unknown>) {
    return run(async () => {
      await work();
      await load();
    });
  }

  function remove(id: string) {
    return run(async () => {
      await api.delete(`/bulletins/${id}`);
      navigate("/bulletins");
    });
  }

  if (state.status === "loading") return <p className="fr-container fr-my-4w">Chargement…</p>;
  if (state.status === "error")
    return (
      <div className="fr-container fr-my-4w">
        <LoadError
          title="Bulletin indisponible"
          message={state.message}
          retry={() => setAttempt((a) => a + 1)}
        />
      </div>
    );
  const b = state.bulletin;
  const analyst = me.role === "analyst";

  return (
    <div className="fr-container fr-my-4w">
      <h1 className="fr-h2">{b.reference ?? "Brouillon de bulletin"}</h1>
      {b.publishedAt && (
        <p className="pris-muted">
          Publié le {formatShort(b.publishedAt, config.timeZone)}
          {b.revision > 1 ? ` — révision ${b.revision}` : ""}
          {b.paused ? " — envoi suspendu" : ""}
        </p>
      )}
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {analyst && (
        <div className="fr-btns-group fr-btns-group--inline fr-mb-3w">
          {b.status === "draft" ? (
            <>
              <Button priority="secondary" linkProps={{ to: `/bulletins/${b.id}/modifier` }}>
                Modifier
              </Button>
              <Button disabled={busy} onClick={() => act(() => api.post(`/bulletins/${b.id}/publish`))}>
                Publier
              </Button>
              <Button
                priority="tertiary"
                disabled={busy}
                onClick={() => (confirmDelete ? remove(b.id) : setConfirmDelete(true))}
              >
                {confirmDelete ? "Confirmer la suppression du brouillon" : "Supprimer le brouillon"}
              </Button>
            </>
          ) : (
            <>
              <Button priority="secondary" linkProps={{ to: `/bulletins/${b.id}/reviser` }}>
                Réviser
              </Button>
              <Button
                priority="tertiary"
                disabled={busy}
                onClick={() => act(() => api.post(`/bulletins/${b.id}/${b.paused ? "resume" : "pause"}`))}
              >
                {b.paused ? "Reprendre l'envoi" : "Suspendre l'envoi"}
              </Button>
            </>
          )}
        </div>
      )}
      <BulletinView bulletin={b} />
      {me.role === "rssi" && (
        <section aria-label="Votre réponse" className="fr-mt-4w fr-mb-4w">
          <p className="fr-text--bold">
            {answered
              ? `Votre réponse : ${BULLETIN_ANSWER_LABELS[answered]}. Vous pouvez la mettre à jour.`
              : "Votre établissement est-il concerné ?"}
          </p>
          <div className="pris-answer-buttons">
            {ANSWER_BUTTONS.map(({ answer, label }) => (
              <Button
                key={answer}
                priority={answered === answer ? "primary" : "secondary"}
                disabled={busy}
                onClick={() => act(() => api.post(`/bulletins/${b.id}/answer`, { answer }))}
              >
                {label}
              </Button>
            ))}
          </div>
        </section>
      )}
      {b.revisions.length > 1 && (
        <section className="fr-mt-4w" aria-label="Révisions">
          <h2 className="fr-h4">Historique</h2>
          <ul>
            {b.revisions.map((r) => (
              <li key={r.revision}>
                Révision {r.revision} — {formatShort(r.publishedAt, config.timeZone)} par {r.publishedBy} :{" "}
                {r.changes}
              </li>
            ))}
          </ul>
        </section>
      )}
      {board && <Dashboard board={board} timeZone={config.timeZone} />}
    </div>
  );
}
