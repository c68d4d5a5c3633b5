import { Badge } from "@codegouvfr/react-dsfr/Badge";
import type { SetupOverview } from "@pris/domain";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { formatNumber, formatShare, pluralOf } from "../../lib/format.ts";
import { useResource } from "../../lib/use-resource.ts";
import { formatShort } from "../../lib/zoned-time.ts";
import { useApp } from "../../session.tsx";

const WEEK_MINUTES = 7 * 24 * 60;

interface Step {
  title: string;
  done: boolean;
  /** What exists now, in a sentence. */
  status: ReactNode;
  /** What to do, and where. */
  action: { text: string; to: string };
}

const plural = (n: number, one: string, many: string) => `${formatNumber(n)} ${n > 1 ? many : one}`;

function stepsOf(o: SetupOverview, timeZone: string): Step[] {
  const coverage = formatShare(o.onCallMinutes, WEEK_MINUTES, 0);
  return [
    {
      title: "Créer les territoires de la région",
      done: o.territories > 0,
      status: plural(o.territories, "territoire", "territoires"),
      action: { text: "Territoires", to: "/administration/territoires" },
    },
    {
      title: "Rattacher les départements (ou communes) et les catégories FINESS",
      done: o.placeMappings > 0 && o.categoryMappings > 0,
      status: `${plural(o.placeMappings, "lieu rattaché", "lieux rattachés")}, ${plural(o.categoryMappings, "catégorie FINESS", "catégories FINESS")}`,
      action: { text: "Import du répertoire FINESS", to: "/administration/import-finess" },
    },
    {
      title: "Importer les établissements du répertoire FINESS",
      done: o.establishments > 0,
      status: (
        <>
          {plural(o.establishments, "établissement actif", "établissements actifs")}
          {o.lastImportAt
            ? ` — dernier import appliqué le ${formatShort(o.lastImportAt, timeZone)}`
            : " — aucun import appliqué"}
        </>
      ),
      action: { text: "Import du répertoire FINESS", to: "/administration/import-finess" },
    },
    {
      title: "Inviter les analystes du pôle et les agents de l'ARS",
      done: o.analysts > 0 && o.arsAgents > 0,
      status: `${plural(o.analysts, "analyste", "analystes")}, ${plural(o.arsAgents, "compte ARS", "comptes ARS")}`,
      action: { text: "Invitations", to: "/administration/invitations" },
    },
    {
      title: "Inviter les RSSI des établissements",
      done: o.establishments > 0 && o.establishmentsWithRssi === o.establishments,
      status: `${formatNumber(o.establishmentsWithRssi)} ${pluralOf(o.establishmentsWithRssi, "établissement")} sur ${formatNumber(o.establishments)} avec un RSSI inscrit — ${plural(o.pendingInvitations, "invitation en attente", "invitations en attente")}`,
      action: { text: "Invitations (envoi groupé)", to: "/administration/invitations" },
    },
    {
      title: "Organiser l'astreinte du pôle",
      done: o.onCallSlots > 0,
      status: `${plural(o.onCallSlots, "créneau", "créneaux")} — ${coverage} de la semaine couverte`,
      action: { text: "Astreinte", to: "/administration/astreinte" },
    },
  ];
}

/** The administrator's home: what a region needs before its first day, and where each is done. */
export function SetupPage() {
  usePageTitle("Premiers pas");
  const { config } = useApp();
  const { state, reload } = useResource<SetupOverview>("/administration/overview");
  return (
    <main className="fr-container fr-my-6w">
      <h1>Premiers pas</h1>
      <p className="fr-text--lead">
        Ce qu'il faut à la région avant que les établissements puissent déclarer leurs incidents.
      </p>
      {state.status === "error" && (
        <LoadError title="Avancement indisponible" message={state.message} retry={reload} />
      )}
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "ready" && (
        <ol className="pris-setup-steps">
          {stepsOf(state.data, config.timeZone).map((step) => (
            <li key={step.title} className="fr-mb-3w">
              <h2 className="fr-h5 fr-mb-1v">
                {step.title}{" "}
                {step.done ? (
                  <Badge severity="success" small>
                    Fait
                  </Badge>
                ) : (
                  <Badge severity="warning" small>
                    À faire
                  </Badge>
                )}
              </h2>
              <p className="fr-mb-1v">{step.status}</p>
              <Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" to={step.action.to}>
                {step.action.text}
              </Link>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
