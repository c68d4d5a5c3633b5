import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { SessionList, User } from "@pris/domain";
import { useEffect, useRef, useState } from "react";
import { api } from "../../../api/client.ts";
import { LoadError } from "../../../components/LoadError.tsx";
import { SessionCard, useMinuteClock } from "../../../components/SessionCard.tsx";
import { endedMessage } from "../../../lib/session-labels.ts";
import { useResource } from "../../../lib/use-resource.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { useMe } from "../../../session.tsx";
import { describeUserProblem } from "./user-problems.ts";

/**
 * The person's open sessions, and a way to end them all (a lost phone, a departure, a doubt): each device
 * must sign in again. `version` moves when another change on the page may have ended them (a new password,
 * a deactivation, a second-factor reset).
 */
export function UserSessions({ user, version, onDone }: { user: User; version: number; onDone(): void }) {
  const me = useMe();
  const now = useMinuteClock();
  const sessions = useResource<SessionList>(`/users/${user.id}/sessions`);
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useSubmission(describeUserProblem);
  const statusRef = useRef<HTMLDivElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const oneself = user.id === me.id;

  const { reload } = sessions;
  // Another change on the page (a new password, a deactivation) may have ended them.
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);

  function ask() {
    setNotice(null);
    setConfirming(true);
    requestAnimationFrame(() => confirmRef.current?.focus());
  }

  function cancel() {
    setConfirming(false);
    requestAnimationFrame(() => askRef.current?.focus());
  }

  const endAll = () =>
    run(async () => {
      const { ended } = await api.post<{ ended: number }>(`/users/${user.id}/sessions/end`);
      setConfirming(false);
      setNotice(endedMessage(ended));
      reload();
      onDone();
      requestAnimationFrame(() => statusRef.current?.focus());
    });

  const items = sessions.state.status === "ready" ? sessions.state.data.items : [];
  return (
    <section className="fr-mt-6w pris-narrow" aria-labelledby="user-sessions-title">
      <h2 id="user-sessions-title" className="fr-h4">
        Sessions
      </h2>
      <div ref={statusRef} tabIndex={-1} aria-live="polite">
        {error && <Alert severity="error" small description={error} className="fr-mb-2w" role="alert" />}
        {notice && <Alert severity="success" small description={notice} className="fr-mb-2w" role="status" />}
      </div>
      {sessions.state.status === "loading" && <p>Chargement…</p>}
      {sessions.state.status === "error" && (
        <LoadError title="Sessions illisibles" message={sessions.state.message} retry={reload} />
      )}
      {sessions.state.status === "ready" &&
        (items.length === 0 ? (
          <p>Aucune session ouverte.</p>
        ) : (
          <>
            <p>
              {items.length.toLocaleString("fr-FR")} session{items.length > 1 ? "s ouvertes" : " ouverte"}, de
              la plus récemment utilisée à la plus ancienne.
            </p>
            <ul className="pris-cards">
              {items.map((s) => (
                <SessionCard key={s.id} session={s} now={now} heading="h3" />
              ))}
            </ul>
            {confirming ? (
              <fieldset className="pris-confirm">
                <legend className="fr-mb-1w">
                  Mettre fin à toutes les sessions de {user.displayName} ? Chaque appareil devra se
                  reconnecter.
                  {oneself ? " Ce sont vos sessions : celle de ce navigateur reste ouverte." : ""}
                </legend>
                <ul className="fr-btns-group fr-btns-group--inline">
                  <li>
                    <Button ref={confirmRef} disabled={busy} onClick={() => void endAll()}>
                      Confirmer la fin des sessions
                    </Button>
                  </li>
                  <li>
                    <Button priority="secondary" onClick={cancel}>
                      Annuler
                    </Button>
                  </li>
                </ul>
              </fieldset>
            ) : (
              <Button ref={askRef} priority="secondary" iconId="fr-icon-logout-box-r-line" onClick={ask}>
                Mettre fin à toutes ses sessions
              </Button>
            )}
          </>
        ))}
    </section>
  );
}
