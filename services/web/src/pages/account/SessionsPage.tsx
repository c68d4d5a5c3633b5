import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { SessionInfo, SessionList } from "@pris/domain";
import { useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, api, describeError } from "../../api/client.ts";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { SessionCard, sessionName, useMinuteClock } from "../../components/SessionCard.tsx";
import { endedMessage } from "../../lib/session-labels.ts";
import { useResource } from "../../lib/use-resource.ts";
import { useApp } from "../../session.tsx";

type Notice = { kind: "success" | "error"; text: string };

/** Moves the focus once React has drawn the element (a confirmation, a message, a button). */
function focusSoon(target: () => HTMLElement | null) {
  requestAnimationFrame(() => target()?.focus());
}

/**
 * "Mes sessions": the browsers and devices where one is signed in, and a way to end any of them — one, or
 * all but this one. Ending this one is signing out.
 */
export function SessionsPage() {
  usePageTitle("Mes sessions");
  const { expired, signOut } = useApp();
  const navigate = useNavigate();
  const now = useMinuteClock();
  const sessions = useResource<SessionList>("/auth/sessions");
  /** The session whose end is being confirmed, or "others" for all but this one. */
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const statusRef = useRef<HTMLDivElement>(null);

  if (sessions.state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (sessions.state.status === "error")
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <LoadError title="Mes sessions" message={sessions.state.message} retry={sessions.reload} />
      </div>
    );
  // This one first (it is the one a person looks for), then the others as the API orders them: last used first.
  const items = [...sessions.state.data.items].sort((a, b) => Number(b.current) - Number(a.current));
  const others = items.filter((s) => !s.current);

  function ask(what: string) {
    setNotice(null);
    setConfirming(what);
    focusSoon(() => document.getElementById(`confirm-${what}`));
  }

  function cancel(what: string) {
    setConfirming(null);
    focusSoon(() => document.getElementById(`end-${what}`));
  }

  /** Runs the change, then says what came of it where the focus goes. */
  async function change(work: () => Promise<string>) {
    setBusy(true);
    let said: Notice;
    try {
      said = { kind: "success", text: await work() };
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return expired();
      said =
        err instanceof ApiError && err.status === 404
          ? { kind: "success", text: "Cette session était déjà terminée." }
          : { kind: "error", text: describeError(err) };
    } finally {
      setBusy(false);
    }
    setConfirming(null);
    setNotice(said);
    sessions.reload();
    focusSoon(() => statusRef.current);
  }

  const endOne = (s: SessionInfo) =>
    change(async () => {
      await api.delete(`/auth/sessions/${encodeURIComponent(s.id)}`);
      if (sessions.state.status === "ready")
        sessions.set({ items: sessions.state.data.items.filter((i) => i.id !== s.id) });
      return `La session ${sessionName(s)} est terminée : cet appareil devra se reconnecter.`;
    });

  const endOthers = () =>
    change(async () => {
      const { ended } = await api.post<{ ended: number }>("/auth/sessions/end-others");
      return endedMessage(ended);
    });

  /** This session: the same as "Se déconnecter" in the menu (which also ends an identity provider's). */
  async function endCurrent() {
    setBusy(true);
    await signOut();
    navigate("/connexion", { replace: true });
  }

  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h2">Mes sessions</h1>
      <p>
        Les navigateurs et appareils où vous êtes connecté à PRIS. Si vous n'en reconnaissez pas un, mettez
        fin à sa session puis changez votre mot de passe.
      </p>
      <div ref={statusRef} tabIndex={-1} aria-live="polite">
        {notice && (
          <Alert
            severity={notice.kind}
            small
            description={notice.text}
            className="fr-mb-3w"
            role={notice.kind === "error" ? "alert" : "status"}
          />
        )}
      </div>
      <ul className="pris-cards">
        {items.map((s) => (
          <SessionCard key={s.id} session={s} now={now} heading="h2">
            {confirming === s.id ? (
              <fieldset className="pris-confirm">
                <legend className="fr-mb-1w">
                  {s.current
                    ? "Mettre fin à cette session ? Vous serez déconnecté de ce navigateur."
                    : "Mettre fin à cette session ? L'appareil devra se reconnecter."}
                </legend>
                <ul className="fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-mb-0">
                  <li>
                    <Button
                      id={`confirm-${s.id}`}
                      size="small"
                      disabled={busy}
                      onClick={() => void (s.current ? endCurrent() : endOne(s))}
                    >
                      {s.current ? "Me déconnecter" : "Confirmer la fin de la session"}
                    </Button>
                  </li>
                  <li>
                    <Button size="small" priority="secondary" onClick={() => cancel(s.id)}>
                      Annuler
                    </Button>
                  </li>
                </ul>
              </fieldset>
            ) : (
              <Button id={`end-${s.id}`} size="small" priority="secondary" onClick={() => ask(s.id)}>
                Mettre fin
                <span className="fr-sr-only">
                  {s.current ? " à cette session (vous serez déconnecté)" : ` à la session ${sessionName(s)}`}
                </span>
              </Button>
            )}
          </SessionCard>
        ))}
      </ul>
      {others.length === 0 ? (
        <p>Vous n'êtes connecté nulle part ailleurs.</p>
      ) : confirming === "others" ? (
        <fieldset className="pris-confirm">
          <legend className="fr-mb-1w">
            Mettre fin à vos {others.length.toLocaleString("fr-FR")} autre
            {others.length > 1 ? "s sessions" : " session"} ? Ces appareils devront se reconnecter ; cette
            session reste ouverte.
          </legend>
          <ul className="fr-btns-group fr-btns-group--inline">
            <li>
              <Button id="confirm-others" disabled={busy} onClick={() => void endOthers()}>
                Confirmer la déconnexion
              </Button>
            </li>
            <li>
              <Button priority="secondary" onClick={() => cancel("others")}>
                Annuler
              </Button>
            </li>
          </ul>
        </fieldset>
      ) : (
        <Button
          id="end-others"
          iconId="fr-icon-logout-box-r-line"
          priority="secondary"
          className="pris-block-button"
          onClick={() => ask("others")}
        >
          Déconnecter toutes les autres sessions
        </Button>
      )}
    </div>
  );
}
