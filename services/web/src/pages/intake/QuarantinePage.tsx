import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { countOf, type QuarantinePage as QuarantinePageData } from "@pris/domain";
import { type ReactNode, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { useResource } from "../../lib/use-resource.ts";
import { useMe } from "../../session.tsx";
import { QuarantineCard } from "./QuarantineCard.tsx";
import { senderOf } from "./quarantine-text.ts";

/** The list shows the newest this many; the rest comes once these are reviewed. */
const PAGE_SIZE = 50;
const FORBIDDEN = "L'examen des courriels en quarantaine est réservé aux analystes du pôle cyber.";

const TITLE = "Courriels en quarantaine";

/**
 * The messages the pole's mailbox set aside — unknown sender, failed domain authentication, a reference
 * the sender may not speak for, too large — for an analyst to declare for an establishment or discard.
 */
export function QuarantinePage() {
  usePageTitle(TITLE);
  const me = useMe();
  if (me.role !== "analyst") {
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <h1>{TITLE}</h1>
        <Alert severity="error" title="Accès refusé" description={FORBIDDEN} />
      </div>
    );
  }
  return <QuarantineList />;
}

function QuarantineList() {
  const { state, reload, set } = useResource<QuarantinePageData>(
    `/intake/quarantine?limit=${PAGE_SIZE}`,
    FORBIDDEN,
  );
  const [done, setDone] = useState<{ key: number; content: NonNullable<ReactNode> } | null>(null);
  const doneRef = useRef<HTMLDivElement>(null);

  // A reviewed card leaves the list: what became of it is said, and read, where the focus moves.
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error") {
    return (
      <div className="fr-container fr-my-6w">
        <h1>{TITLE}</h1>
        <LoadError title="La quarantaine n'a pas pu être lue" message={state.message} retry={reload} />
      </div>
    );
  }
  const { items, total } = state.data;
  const remove = (id: string) => {
    const rest = items.filter((i) => i.id !== id);
    set({ items: rest, total: total - 1 });
    // The last one shown reviewed while older ones wait: bring them.
    if (rest.length === 0 && total > 1) reload();
  };
  const say = (content: NonNullable<ReactNode>) => setDone((d) => ({ key: (d?.key ?? 0) + 1, content }));

  return (
    <div className="fr-container fr-my-4w">
      <h1>{TITLE}</h1>
      <p>
        Messages reçus sur la boîte du pôle qui n'ont pas créé de déclaration : expéditeur inconnu de
        l'annuaire, authentification du domaine en échec, référence d'un incident d'un autre établissement,
        message trop volumineux… Rattachez-les à l'établissement concerné pour en faire une déclaration, ou
        écartez-les.
      </p>
      <div ref={doneRef} tabIndex={-1} role="status">
        {done && (
          <Alert
            key={done.key}
            severity="success"
            small
            description={done.content}
            className="fr-mb-2w"
            closable
            onClose={() => setDone(null)}
          />
        )}
      </div>
      <div className="pris-title-row fr-mb-2w">
        <p className="fr-mb-0" data-testid="quarantine-count">
          {total === 0
            ? "Aucun message en attente d'examen."
            : `${countOf(total, "message")} en attente d'examen${
                total > items.length ? ` ; les ${items.length} plus récents sont affichés` : ""
              }.`}
        </p>
        <Button size="small" priority="tertiary" iconId="fr-icon-refresh-line" onClick={reload}>
          Actualiser
        </Button>
      </div>
      {items.length > 0 && (
        <ul className="pris-cards">
          {items.map((m) => (
            <QuarantineCard
              key={m.id}
              message={m}
              onAttached={(result, establishment) => {
                remove(m.id);
                say(
                  <>
                    <Link to={`/incidents/${result.incidentId}`} data-testid="quarantine-declared">
                      Déclaration {result.reference} créée
                    </Link>{" "}
                    pour {establishment.name}, à partir du message de {senderOf(m)}.
                  </>,
                );
              }}
              onDiscarded={() => {
                remove(m.id);
                say(`Message de ${senderOf(m)} écarté.`);
              }}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
