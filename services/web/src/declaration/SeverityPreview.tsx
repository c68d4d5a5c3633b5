import { type Me, normalizeDeclaration, type SeveritySuggestion, suggestSeverityFor } from "@pris/domain";
import { SeverityBadge } from "../components/badges.tsx";
import { type DeclarationForm, toDeclaration } from "./form.ts";

/**
 * The severity the service will suggest, from what is typed so far: the same rule and the same inputs
 * as the API (suggestSeverityFor on the normalised declaration), so the confirmation says the same.
 * Null until the facts it weighs are answered (what the incident is, whether it is ongoing, the impact).
 */
export function previewSeverity(
  form: DeclarationForm,
  me: Me,
  timeZone: string,
  now: Date,
): SeveritySuggestion | null {
  if (form.rsitClass === "" || form.rsitType === "" || form.ongoing === "" || form.impactGrade === "") {
    return null;
  }
  const establishment =
    me.establishments.find((e) => e.id === form.establishmentId) ??
    (me.establishments.length === 1 ? me.establishments[0] : undefined);
  if (!establishment) return null;
  const normalized = normalizeDeclaration(toDeclaration(form, me, timeZone).body, now);
  return normalized.ok ? suggestSeverityFor(normalized.value, establishment.category) : null;
}

export function SeverityPreview(props: { form: DeclarationForm; me: Me; timeZone: string }) {
  const suggestion = previewSeverity(props.form, props.me, props.timeZone, new Date());
  if (!suggestion) return null;
  return (
    <section className="pris-section" aria-labelledby="severity-preview-title" data-testid="severity-preview">
      <h2 id="severity-preview-title" className="fr-h5 fr-mb-1w">
        Gravité estimée
      </h2>
      <p className="fr-mb-1w">
        <SeverityBadge severity={suggestion.severity} />
      </p>
      <ul className="fr-text--sm fr-mb-1w">
        {suggestion.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      <p className="fr-text--sm pris-muted fr-mb-0">
        Calculée d'après vos réponses ; un analyste du pôle peut l'ajuster.
      </p>
    </section>
  );
}
