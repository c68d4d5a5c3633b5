/** FIRST Traffic Light Protocol 2.0. */
export const TLP_LABELS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] as const;
export type Tlp = (typeof TLP_LABELS)[number];

/** TLP 2.0 colours, shown on black as the standard prescribes. */
export const TLP_COLORS: Record<Tlp, string> = {
  CLEAR: "#FFFFFF",
  GREEN: "#33FF00",
  AMBER: "#FFC000",
  "AMBER+STRICT": "#FFC000",
  RED: "#FF2B2B",
};

export const TLP_DESCRIPTIONS: Record<Tlp, string> = {
  CLEAR: "Diffusion libre",
  GREEN: "Diffusion limitée à la communauté",
  AMBER:
    "Diffusion limitée à l'organisation destinataire et à ses prestataires, selon le besoin d'en connaître",
  "AMBER+STRICT": "Diffusion limitée à l'organisation destinataire uniquement",
  RED: "Réservé aux seuls destinataires nommés",
};

/** How the label is written, as TLP 2.0 requires: "TLP:AMBER+STRICT". */
export function tlpTag(tlp: Tlp): string {
  return `TLP:${tlp}`;
}

/**
 * Whether the descriptive content of something marked with this TLP may travel by e-mail
 * to the people entitled to it. Metadata (reference, establishment, severity, link) always may;
 * what was declared or written under AMBER+STRICT or RED stays in the application.
 */
export function tlpAllowsContentByEmail(tlp: Tlp): boolean {
  return tlp === "CLEAR" || tlp === "GREEN" || tlp === "AMBER";
}
