import { readFileSync } from "node:fs";
import type { Config } from "@pris/config";
import { type MailTemplate, telUri } from "@pris/domain";
import Handlebars from "handlebars";

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  attachments?: { filename: string; content: string; contentType: string }[];
  /** Headers of this e-mail only: a bulletin's List-Id and List-Unsubscribe. */
  headers?: Record<string, string>;
}

// An environment of our own: no helper or partial registered elsewhere can change what we send.
const handlebars = Handlebars.create();

/** Templates live beside this file as `<name>.subject.hbs`, `<name>.text.hbs` and `<name>.html.hbs`. */
function load(name: MailTemplate, part: "subject" | "text" | "html"): string {
  return readFileSync(new URL(`./templates/${name}.${part}.hbs`, import.meta.url), "utf8");
}

/**
 * The frame every notice shares — TLP banner on top and at the bottom, the incident's facts, the
 * link — as partials: `{{> html-top}}` … `{{> html-bottom}}`, `{{> text-top}}` … `{{> text-bottom}}`;
 * `html-end` / `text-end` close the frame without the incident's link (a bulletin), with an optional
 * `service` named in the footer.
 * A partial is compiled with the options of the template that calls it, so HTML ones are escaped.
 */
for (const partial of [
  "pole-phone-html",
  "pole-phone-text",
  "html-top",
  "html-facts",
  "html-bottom",
  "html-end",
  "text-top",
  "text-facts",
  "text-bottom",
  "text-end",
  "exercise-html-top",
  "exercise-html-bottom",
  "exercise-text-bottom",
]) {
  handlebars.registerPartial(
    partial,
    readFileSync(new URL(`./templates/partials/${partial}.hbs`, import.meta.url), "utf8"),
  );
}

/** The pole's emergency line, in the footer of every e-mail an establishment receives. */
export interface PoleContact {
  emergencyPhone: string;
}

/** Undefined when no POLE_EMERGENCY_PHONE is set: the footer then has no phone line. */
export function poleContact(config: Pick<Config, "POLE_EMERGENCY_PHONE">): PoleContact | undefined {
  return config.POLE_EMERGENCY_PHONE ? { emergencyPhone: config.POLE_EMERGENCY_PHONE } : undefined;
}

interface Footer {
  emergencyPhone: string | null;
  emergencyTel: string | null;
}

/**
 * The HTML part is auto-escaped; subject and text are plain text and must not be HTML-escaped.
 * Strict mode turns a field missing from the view into an error instead of an empty line.
 * E-mails to an establishment pass the pole's contact: their footer gives its emergency phone.
 */
function compile<V extends object>(name: MailTemplate) {
  const subject = handlebars.compile<V>(load(name, "subject"), { noEscape: true, strict: true });
  const text = handlebars.compile<V & Footer>(load(name, "text"), { noEscape: true, strict: true });
  const html = handlebars.compile<V & Footer & { subject: string }>(load(name, "html"), { strict: true });
  return (view: V, pole?: PoleContact): RenderedMail => {
    // One line, whatever a field holds: a subject never carries a line break.
    const renderedSubject = subject(view).replace(/\s+/g, " ").trim();
    const footer: Footer = {
      emergencyPhone: pole?.emergencyPhone ?? null,
      emergencyTel: pole ? telUri(pole.emergencyPhone) : null,
    };
    return {
      subject: renderedSubject,
      text: text({ ...view, ...footer }),
      html: html({ ...view, ...footer, subject: renderedSubject }),
    };
  };
}

export interface IncidentDeclaredView {
  tlpTag: string;
  tlpDescription: string;
  tlpColor: string;
  reference: string;
  establishmentName: string;
  severity: string;
  severityLabel: string;
  majorIncident: boolean;
  impactGrade: number;
  impactLabel: string;
  declaredAt: string;
  regionName: string;
  link: string;
  /** Null when the TLP keeps the declaration's content out of e-mail. */
  title: string | null;
}

export const renderIncidentDeclared = compile<IncidentDeclaredView>("incident-declared");

/** What every notice about an incident shows: metadata always, the title only when the TLP allows. */
export interface IncidentNoticeView {
  tlpTag: string;
  tlpDescription: string;
  tlpColor: string;
  reference: string;
  establishmentName: string;
  severity: string;
  severityLabel: string;
  statusLabel: string;
  regionName: string;
  link: string;
  /** Null when the TLP keeps the declaration's content out of e-mail. */
  title: string | null;
}

/** A deadline: what is due, when (in the region's zone), and on what basis. */
export interface DeadlineNoticeView extends IncidentNoticeView {
  /** What is due, e.g. "Notification à la CNIL"; generic when naming it would reveal content. */
  what: string;
  /** The legal basis and delay, e.g. "RGPD art. 33 — 72 h"; null when withheld or not applicable. */
  basis: string | null;
  deadline: string;
  /** Service level of the severity, e.g. "1 h"; null for other deadlines. */
  serviceLevel: string | null;
  /** Whom the incident waits on, for a follow-up; null otherwise. */
  waitingOn: string | null;
  /** A late GDPR notification must say why (art. 33 §1). */
  lateReasonRequired: boolean;
}

export interface EscalationNoticeView extends IncidentNoticeView {
  escalatedAt: string;
  impactGrade: number;
  impactLabel: string;
}

export const renderIncidentEscalated = compile<EscalationNoticeView>("incident-escalated");

/** The pole wrote to the establishment: a shared entry of the main courante, or a question. */
export interface IncidentMessageView extends IncidentNoticeView {
  heading: string;
  intro: string;
  kindLabel: string;
  author: string | null;
  at: string;
  /** Null when the incident's TLP keeps content out of e-mail: the e-mail says a message is waiting. */
  text: string | null;
  /** The entry has words the TLP keeps out of e-mail (said as such, so nobody thinks it empty). */
  withheld: boolean;
  /** A question: when the pole follows up, in the region's zone. */
  followUpAt: string | null;
}

export const renderIncidentMessage = compile<IncidentMessageView>("incident-message");

/** The acknowledgement of a declaration received by e-mail: its reference and where to complete it. */
export interface IntakeAcknowledgedView extends IncidentNoticeView {
  receivedAt: string;
}

export const renderIntakeAcknowledged = compile<IntakeAcknowledgedView>("intake-acknowledged");

/** A file handed over on an incident was quarantined: the pole looks at it. */
export interface EvidenceQuarantinedView extends IncidentNoticeView {
  /** "infectée" or "non analysable". */
  verdict: string;
  /** The signature found, or why it could not be scanned. */
  detail: string | null;
  /** Null when the incident's TLP keeps content (the file's name) out of e-mail. */
  fileName: string | null;
  sizeBytes: string;
  sha256: string;
  uploadedAt: string;
}

export const renderEvidenceQuarantined = compile<EvidenceQuarantinedView>("evidence-quarantined");
export const renderSlaReminder = compile<DeadlineNoticeView>("sla-reminder");
export const renderSlaMissed = compile<DeadlineNoticeView>("sla-missed");
export const renderFollowupDue = compile<DeadlineNoticeView>("followup-due");
export const renderClockReminder = compile<DeadlineNoticeView>("clock-reminder");
export const renderClockOverdue = compile<DeadlineNoticeView>("clock-overdue");

/** What every exercise reminder shows: where it comes from and where to act. */
interface ExerciseMailFrame {
  regionName: string;
  link: string;
}

export interface ExerciseDueView extends ExerciseMailFrame {
  daysLabel: string;
  title: string;
  kindLabel: string;
  levelLabel: string;
  plannedOn: string;
  establishmentName: string;
  organiser: string;
  participants: string;
}

export interface ExerciseUnplannedView extends ExerciseMailFrame {
  year: number;
  planBy: string;
  establishmentName: string;
}

export interface ActionOverdueView extends ExerciseMailFrame {
  title: string;
  exerciseTitle: string;
  establishmentName: string;
  owner: string;
  dueOn: string;
  daysLate: number;
  statusLabel: string;
}

export interface ExerciseDigestView extends ExerciseMailFrame {
  year: number;
  ratePercent: string;
  held: number;
  subject: number;
  planned: number;
  awaitingValidation: number;
  overdueActions: number;
  late: number;
}

export const renderExerciseDue = compile<ExerciseDueView>("exercise-due");
export const renderExerciseUnplanned = compile<ExerciseUnplannedView>("exercise-unplanned");
export const renderActionOverdue = compile<ActionOverdueView>("action-overdue");
export const renderExerciseDigest = compile<ExerciseDigestView>("exercise-digest");
/** An alert bulletin as e-mailed to one recipient: the content is the bulletin's, the link theirs. */
export interface BulletinMailView {
  tlpTag: string;
  tlpDescription: string;
  tlpColor: string;
  kindLabel: string;
  reference: string;
  revision: number;
  revised: boolean;
  changes: string;
  reminder: boolean;
  title: string;
  severityLabel: string;
  summary: string;
  risks: string[];
  affectedSystems: string;
  products: string[];
  recommendations: string;
  cves: string[];
  observables: string[];
  links: string[];
  recipientName: string;
  ackLink: string;
  /** A functional mailbox's unsubscribe link; null for people. */
  unsubscribeLink: string | null;
  expiresOn: string;
  link: string;
  regionName: string;
}

export const renderBulletin = compile<BulletinMailView>("bulletin");

export interface RetexReviewedView extends ExerciseMailFrame {
  exerciseTitle: string;
  kindLabel: string;
  heldOn: string | null;
  establishmentName: string;
}

export const renderRetexValidated = compile<RetexReviewedView & { openActions: number }>("retex-validated");
export const renderRetexReturned = compile<RetexReviewedView & { comment: string }>("retex-returned");

export interface LogCheckpointView {
  seq: number;
  regionName: string;
  issuedAt: string;
  heads: number;
  digest: string;
  previousDigest: string | null;
  keyId: string;
  publicKey: string;
  fileName: string;
}
export const renderLogCheckpoint = compile<LogCheckpointView>("log-checkpoint");

export interface InvitationView {
  regionName: string;
  displayName: string;
  inviterName: string;
  roleLabel: string;
  establishmentName: string | null;
  ghtName: string | null;
  email: string;
  link: string;
  expiresOn: string;
}
export const renderInvitation = compile<InvitationView>("invitation");

export interface PasswordResetView {
  regionName: string;
  displayName: string;
  email: string;
  link: string;
  minutes: number;
  expiresOn: string;
}
export const renderPasswordReset = compile<PasswordResetView>("password-reset");

export interface MailboxUnsubscribedView {
  regionName: string;
  establishmentName: string;
  mailbox: string;
  unsubscribedAt: string;
  bulletinReference: string;
  link: string;
}
export const renderMailboxUnsubscribed = compile<MailboxUnsubscribedView>("mailbox-unsubscribed");
