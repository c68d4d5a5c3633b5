import type { NormalizedDeclaration } from "./declaration.ts";
import { RSIT_UNDETERMINED } from "./rsit.ts";

/** What a message to the pole's mailbox brings to a declaration. */
export interface MailDeclarationInput {
  declarant: { name: string; email: string | null; phone: string };
  subject: string;
  text: string;
  /** When it was received: the declaration's time. */
  at: Date;
  /** The Date the sender's client wrote, if any. */
  sentAt?: Date | null;
}

/** A Date header believed as the moment of awareness: up to a week old, at most ten minutes ahead. */
const SENT_AT_WINDOW_MS = { past: 7 * 24 * 3600_000, future: 10 * 60_000 };

/**
 * When the establishment knew at the latest: when the message was written, if its Date is plausible,
 * otherwise when it arrived. The regulatory clocks start there, never later than they should.
 */
export function awarenessFromMail(at: Date, sentAt: Date | null | undefined): Date {
  if (!sentAt) return at;
  const delta = at.getTime() - sentAt.getTime();
  return delta <= SENT_AT_WINDOW_MS.past && delta >= -SENT_AT_WINDOW_MS.future && delta > 0 ? sentAt : at;
}

/** The subject without its reply and forward prefixes, as a declaration's title (3 to 200 characters). */
export function titleFromSubject(subject: string): string {
  const bare = subject.replace(/^\s*((re|tr|fwd?|réf)\s*:\s*)+/i, "").trim();
  if (bare.length < 3) return "Signalement reçu par courriel";
  return bare.length > 200 ? `${bare.slice(0, 199)}…` : bare;
}

/**
 * A declaration "to complete" from a message: what it says (title, text, who wrote) and every other
 * field at its "not known yet" value, for the establishment to complete in the form.
 */
export function declarationFromMail(input: MailDeclarationInput): NormalizedDeclaration {
  return {
    declarant: {
      name: input.declarant.name.slice(0, 200),
      phone: input.declarant.phone,
      ...(input.declarant.email ? { email: input.declarant.email } : {}),
    },
    detectedAt: awarenessFromMail(input.at, input.sentAt),
    startedAt: null,
    ongoing: true,
    title: titleFromSubject(input.subject),
    description: input.text.trim().slice(0, 20_000) || "(message sans texte)",
    rsitClass: RSIT_UNDETERMINED.class,
    rsitType: RSIT_UNDETERMINED.type,
    suspectedMalicious: "unknown",
    affectedServices: [],
    affectedServicesOther: null,
    impactGrade: 0,
    spread: "single_site",
    personalData: { breach: "unknown", approxPeople: null },
    measuresTaken: null,
    support: { requested: false, details: null },
    nationalPortal: { declared: false, reference: null, declaredAt: null },
    complaintFiled: false,
    observables: [],
    tlp: "AMBER",
  };
}
