import { formatNumber, type QuarantinedMessage } from "@pris/domain";
import { ApiError, describeError } from "../../api/client.ts";

/** How much of a message's text the list shows before "Lire le message en entier". */
export const EXCERPT_CHARS = 280;

/** The start of the text on one line, cut at a word when it is longer than the excerpt. */
export function excerptOf(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** "Marie Payet <marie@ch.re>", the address alone, or what is known when the message named none. */
export function senderOf(m: Pick<QuarantinedMessage, "from" | "fromName">): string {
  if (m.fromName && m.from) return `${m.fromName} <${m.from}>`;
  return m.from ?? (m.fromName ? `${m.fromName} (adresse absente)` : "Expéditeur inconnu");
}

/** A size as a French mail client writes it: "850 octets", "12 ko", "3,4 Mo". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatNumber(bytes, 0)} octets`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024, 0)} ko`;
  return `${formatNumber(bytes / (1024 * 1024), 1)} Mo`;
}

/** What went wrong with a review, in French, with what to do next. */
export function describeQuarantineProblem(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 409) {
      return "Ce message a déjà été examiné par un autre analyste (rattaché ou écarté). Rechargez la liste.";
    }
    if (err.status === 404) {
      return "Ce message n'est plus en quarantaine. Rechargez la liste.";
    }
    if (err.status === 403) return "L'examen de la quarantaine est réservé aux analystes du pôle.";
    if (err.status === 400) {
      const onEstablishment = err.problem.errors?.some((e) => e.field === "/establishmentId");
      return onEstablishment
        ? "L'établissement choisi n'est pas actif dans le répertoire : choisissez-en un autre."
        : "La demande est incomplète : choisissez un établissement puis réessayez.";
    }
  }
  return describeError(err);
}
