import { exerciseParticipations, exercises, improvementActions, retexFindings, type Tx } from "@pris/db";
import {
  addDays,
  type ExerciseKind,
  type ExerciseLevel,
  type FindingPolarity,
  type FindingTheme,
  type ImprovementActionStatus,
  type ParticipationStatus,
} from "@pris/domain";
import { v5 as uuidv5 } from "uuid";

/**
 * The demo's exercises, placed around today so that the dashboard, the RETEX pages and the reminders
 * have something to show: last year's regional exercise with its RETEX, this year's validated, submitted
 * and sent-back ones, and exercises planned in 7 and 30 days (their reminders fall due). Rows have fixed
 * ids derived from their names, so a second run adds nothing.
 */
const NAMESPACE = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
const idOf = (name: string) => uuidv5(name, NAMESPACE);

interface DemoParticipation {
  finess: string;
  status: ParticipationStatus;
  hot?: string;
  cold?: string;
  returnComment?: string;
  shared?: boolean;
  findings?: { theme: FindingTheme; polarity: FindingPolarity; text: string }[];
  actions?: { title: string; owner: string; dueInDays: number; status: ImprovementActionStatus }[];
}

interface DemoExercise {
  key: string;
  kind: ExerciseKind;
  level: ExerciseLevel;
  title: string;
  scenario: string;
  objectives: string[];
  plannedOn: string;
  held: boolean;
  organiser: string;
  participants: string;
  participations: DemoParticipation[];
}

function demoExercises(today: string): DemoExercise[] {
  const year = Number(today.slice(0, 4));
  const thisYear = (md: string) => [`${year}-${md}`, today].sort()[0] as string;
  return [
    {
      key: `regional-${year - 1}`,
      kind: "regional",
      level: "confirmed",
      title: `Exercice régional de crise cyber ${year - 1}`,
      scenario:
        "Un rançongiciel se propage par le prestataire d'infogérance commun à plusieurs établissements.",
      objectives: ["Tester l'alerte du pôle et de l'ARS", "Coordonner la communication avec la Préfecture"],
      plannedOn: `${year - 1}-10-15`,
      held: true,
      organiser: "ARS La Réunion et GIP TESIS",
      participants: "Cellules de crise des établissements, ARS, Préfecture, pôle cyber",
      participations: [
        {
          finess: "974000017",
          status: "actions_closed",
          hot: "Cellule de crise réunie en 40 minutes ; l'annuaire de crise n'était pas à jour.",
          cold: "Annuaire refait, exercice d'astreinte trimestriel décidé.",
          shared: true,
          findings: [
            { theme: "governance", polarity: "positive", text: "Cellule de crise réunie rapidement" },
            { theme: "communication", polarity: "negative", text: "Numéros de la Préfecture introuvables" },
          ],
          actions: [
            {
              title: "Mettre à jour l'annuaire de crise",
              owner: "Direction",
              dueInDays: -200,
              status: "done",
            },
          ],
        },
        {
          finess: "974000405",
          status: "validated",
          hot: "Procédures dégradées des urgences appliquées, mais les sauvegardes n'ont pas pu être restaurées.",
          findings: [
            { theme: "technical", polarity: "negative", text: "Restauration des sauvegardes jamais testée" },
            { theme: "continuity", polarity: "positive", text: "Bascule papier des urgences maîtrisée" },
          ],
          actions: [
            { title: "Tester la restauration du DPI", owner: "DSI", dueInDays: -10, status: "in_progress" },
          ],
        },
        {
          finess: "974000306",
          status: "validated",
          hot: "Alerte de l'ARS tardive : la procédure d'escalade n'était pas connue de l'administrateur de garde.",
          findings: [{ theme: "alerting", polarity: "negative", text: "Escalade inconnue de l'astreinte" }],
        },
        { finess: "974000207", status: "held" },
        { finess: "974000413", status: "retex_submitted", hot: "Bonne coordination avec le GHT." },
        { finess: "974000314", status: "validated", hot: "Prestataire joignable, contrat à revoir." },
      ],
    },
    {
      key: `chu-nord-${year}`,
      kind: "degraded_mode",
      level: "intermediate",
      title: "Indisponibilité du DPI un lundi matin",
      scenario: "Le dossier patient informatisé est indisponible pendant six heures.",
      objectives: ["Basculer les services sur les procédures dégradées", "Prévenir le pôle cyber et l'ARS"],
      plannedOn: thisYear("03-12"),
      held: true,
      organiser: "Direction des soins",
      participants: "Urgences, bloc, pharmacie, DSI",
      participations: [
        {
          finess: "974000017",
          status: "validated",
          hot: "Bascule papier en 20 minutes ; la pharmacie n'avait pas les listes de traitements imprimées.",
          findings: [
            {
              theme: "continuity",
              polarity: "negative",
              text: "Listes de traitements non imprimées à la pharmacie",
            },
            { theme: "suppliers", polarity: "negative", text: "Éditeur du DPI injoignable avant 9 h" },
          ],
          actions: [
            {
              title: "Imprimer chaque soir les plans de traitement",
              owner: "Pharmacie",
              dueInDays: -1,
              status: "open",
            },
            {
              title: "Clause d'astreinte dans le contrat de l'éditeur",
              owner: "Achats",
              dueInDays: 60,
              status: "open",
            },
          ],
        },
      ],
    },
    {
      key: `ght-tabletop-${year}`,
      kind: "tabletop",
      level: "beginner",
      title: "Exercice sur table du GHT : messagerie compromise",
      scenario: "La messagerie commune du GHT envoie des courriels d'hameçonnage aux partenaires.",
      objectives: ["Décider de couper la messagerie", "Informer les partenaires"],
      plannedOn: thisYear("05-20"),
      held: true,
      organiser: "RSSI du GHT",
      participants: "RSSI, directeurs, communication",
      participations: [
        {
          finess: "974000405",
          status: "retex_submitted",
          hot: "Décision de coupure prise en 15 minutes.",
          findings: [
            {
              theme: "communication",
              polarity: "negative",
              text: "Pas de modèle de message aux partenaires",
            },
          ],
        },
        {
          finess: "974000413",
          status: "held",
          returnComment: "Merci d'ajouter au moins un constat et le RETEX à froid.",
          hot: "Peu de participants de la direction.",
        },
        { finess: "974000207", status: "held" },
      ],
    },
    {
      key: `barachois-${year}`,
      kind: "degraded_mode",
      level: "beginner",
      title: "Perte du réseau du bloc opératoire",
      scenario: "Le réseau du bloc est coupé après une attaque sur un commutateur.",
      objectives: ["Tester la fiche réflexe du bloc"],
      plannedOn: addDays(today, 30),
      held: false,
      organiser: "Direction de la clinique",
      participants: "Bloc, anesthésie, DSI",
      participations: [{ finess: "974000108", status: "planned" }],
    },
    {
      key: `lataniers-${year}`,
      kind: "degraded_mode",
      level: "light",
      title: "Panne du logiciel de soins",
      scenario: "Le logiciel de soins est indisponible une matinée.",
      objectives: ["Utiliser les plans de soins papier"],
      plannedOn: addDays(today, 7),
      held: false,
      organiser: "Direction de l'EHPAD",
      participants: "Infirmières, aides-soignantes",
      participations: [{ finess: "974000132", status: "planned" }],
    },
  ];
}

/** Inserts what is missing of the demo exercises; returns how many exercises were added. */
export async function seedExercises(tx: Tx, idByFiness: Map<string, string>, today: string): Promise<number> {
  let added = 0;
  for (const x of demoExercises(today)) {
    const exerciseId = idOf(x.key);
    const created = await tx
      .insert(exercises)
      .values({
        id: exerciseId,
        kind: x.kind,
        level: x.level,
        title: x.title,
        scenario: x.scenario,
        objectives: x.objectives,
        plannedOn: x.plannedOn,
        heldOn: x.held ? x.plannedOn : null,
        participants: x.participants,
        organiser: x.organiser,
        status: x.held ? "held" : "planned",
      })
      .onConflictDoNothing()
      .returning({ id: exercises.id });
    if (created.length === 0) continue;
    added += 1;
    for (const p of x.participations) {
      const participationId = idOf(`${x.key}/${p.finess}`);
      const submitted = ["retex_submitted", "validated", "actions_closed"].includes(p.status);
      const validated = p.status === "validated" || p.status === "actions_closed";
      await tx.insert(exerciseParticipations).values({
        id: participationId,
        exerciseId,
        establishmentId: idByFiness.get(p.finess)!,
        status: p.status,
        year: Number(x.plannedOn.slice(0, 4)),
        actionsTotal: p.actions?.length ?? 0,
        actionsClosed: p.actions?.filter((a) => a.status === "done" || a.status === "dropped").length ?? 0,
        hotSummary: p.hot ?? null,
        hotOn: p.hot ? x.plannedOn : null,
        coldSummary: p.cold ?? null,
        submittedAt: submitted ? new Date(`${x.plannedOn}T12:00:00Z`) : null,
        validatedAt: validated ? new Date(`${x.plannedOn}T12:00:00Z`) : null,
        returnComment: p.returnComment ?? null,
        sharedAt: p.shared ? new Date(`${x.plannedOn}T12:00:00Z`) : null,
        shareTlp: p.shared ? "GREEN" : null,
      });
      for (const [i, f] of (p.findings ?? []).entries()) {
        await tx
          .insert(retexFindings)
          .values({ id: idOf(`${x.key}/${p.finess}/finding/${i}`), participationId, phase: "hot", ...f });
      }
      for (const [i, a] of (p.actions ?? []).entries()) {
        await tx.insert(improvementActions).values({
          id: idOf(`${x.key}/${p.finess}/action/${i}`),
          participationId,
          title: a.title,
          owner: a.owner,
          dueOn: addDays(today, a.dueInDays),
          status: a.status,
          closedAt: a.status === "done" ? new Date() : null,
        });
      }
    }
  }
  return added;
}
