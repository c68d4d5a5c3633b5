import { Alert } from "@codegouvfr/react-dsfr/Alert";
import type { LogVerification } from "@pris/domain";

const BREAK_REASONS: Record<NonNullable<LogVerification["firstBroken"]>["reason"], string> = {
  content_altered: "contenu modifié",
  chain_broken: "chaînage rompu",
  sequence_gap: "entrée manquante",
  unknown_key: "empreinte calculée avec une clé inconnue",
  unkeyed: "empreinte calculée sans la clé",
  head_mismatch: "réécrite depuis le dernier point de contrôle",
  beyond_head: "écrite hors du chaînage",
};

function chainProblem(v: LogVerification): string {
  const problems: string[] = [];
  if (v.firstBroken) {
    problems.push(
      `l'entrée n° ${v.firstBroken.seq} ne correspond plus à la chaîne d'empreintes (${BREAK_REASONS[v.firstBroken.reason]})`,
    );
  }
  if (v.missing) {
    const range =
      v.missing.fromSeq === v.missing.toSeq
        ? `l'entrée n° ${v.missing.fromSeq} manque`
        : `les entrées n° ${v.missing.fromSeq} à ${v.missing.toSeq} manquent`;
    const source = v.missing.attestedBy === "anchor" ? "la tête enregistrée" : "le point de contrôle signé";
    problems.push(
      `${range} : ${source} en annonce ${v.missing.toSeq}, la main courante s'arrête à ${v.missing.fromSeq - 1}`,
    );
  }
  if (v.checkpoint && !v.checkpoint.authentic) {
    problems.push(`le point de contrôle n° ${v.checkpoint.seq} ne porte plus une signature valide`);
  }
  return `Main courante altérée : ${problems.join(" ; ")}.`;
}

/** Whether the main courante's hash chain still holds, and where it broke if not. */
export function ChainStatus({ verification: v }: { verification: LogVerification | null }) {
  if (!v) return null;
  return v.valid ? (
    <p className="fr-text--sm pris-chain-ok fr-mb-2w">
      <span className="fr-icon-shield-line fr-icon--sm" aria-hidden="true" /> Main courante intègre :{" "}
      {v.entries} entrée{v.entries > 1 ? "s" : ""} vérifiée{v.entries > 1 ? "s" : ""} (chaîne d'empreintes
      scellée par clé
      {v.checkpoint ? `, attestée par le point de contrôle signé n° ${v.checkpoint.seq}` : ""}
      ).
    </p>
  ) : (
    <Alert severity="error" small className="fr-mb-2w" description={chainProblem(v)} />
  );
}
