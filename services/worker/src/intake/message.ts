import { createHash } from "node:crypto";
import type { IntakeAttachment } from "@pris/db";
import EmailReplyParser from "email-reply-parser";
import { type AddressObject, type HeaderValue, simpleParser } from "mailparser";

/** A message of the intake mailbox as the intake reads it. */
export interface IntakeMessage {
  /** The Message-ID, or one made from the bytes when the message has none (the same bytes, the same id). */
  messageId: string;
  fromAddress: string | null;
  fromName: string | null;
  subject: string;
  sentAt: Date | null;
  /** Message-IDs this one answers: In-Reply-To, then References. */
  answers: string[];
  /** The text written for this message, the quoted history stripped. */
  text: string;
  attachments: IntakeAttachment[];
  /** The attachments' bytes, in the order of `attachments` (bounded by INTAKE_MAX_MESSAGE_BYTES). */
  contents: Buffer[];
  authenticationResults: string[];
  /**
   * Written by a machine (RFC 3834 Auto-Submitted, Precedence, an out-of-office or a bounce): never
   * declared nor acknowledged, so that two robots cannot answer each other for ever.
   */
  automatic: boolean;
}

const MESSAGE_ID = /<[^<>\s]+>/g;

function ids(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value.join(" ") : (value ?? "");
  return all.match(MESSAGE_ID) ?? [];
}

function firstAddress(from: AddressObject | AddressObject[] | undefined) {
  const list = Array.isArray(from) ? from : from ? [from] : [];
  const first = list.flatMap((a) => a.value).find((v) => v.address);
  return first ? { address: first.address!.toLowerCase(), name: first.name || null } : null;
}

function headerStrings(value: HeaderValue | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  return [typeof value === "string" ? value : String((value as { value?: unknown }).value ?? value)];
}

/** The text of an HTML-only message: tags dropped, the usual entities read. */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|li|tr|h[1-6])>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * French clients introduce the quoted history with lines email-reply-parser does not know: "Le … a
 * écrit :", Outlook's "De : … Envoyé : …" block, "-----Message d'origine-----". What follows is cut.
 */
const FRENCH_QUOTE_HEADERS = [
  /^\s*Le .{1,200}a écrit\s*:\s*$/m,
  /^\s*-{2,}\s*(Message d'origine|Original Message|Message transféré)\s*-{2,}\s*$/im,
  /^\s*De\s*:\s.+\n\s*(Envoyé|Date)\s*:\s.+$/m,
  /^\s*From\s*:\s.+\n\s*(Sent|Date)\s*:\s.+$/m,
];

/** The reply written above the quoted history and the signature, as the sender wrote it. */
export function stripQuotedHistory(text: string): string {
  let visible = text.replace(/\r\n/g, "\n");
  for (const header of FRENCH_QUOTE_HEADERS) {
    const found = header.exec(visible);
    if (found) visible = visible.slice(0, found.index);
  }
  const reply = new EmailReplyParser().parseReply(visible);
  return reply.trim() || visible.trim();
}

function isAutomatic(headers: Map<string, HeaderValue>, fromAddress: string | null): boolean {
  const one = (name: string) => headerStrings(headers.get(name)).join(" ").trim().toLowerCase();
  const autoSubmitted = one("auto-submitted");
  if (autoSubmitted !== "" && !autoSubmitted.startsWith("no")) return true;
  if (["bulk", "junk", "list", "auto_reply"].includes(one("precedence"))) return true;
  if (one("x-autoreply") !== "" || one("x-autorespond") !== "" || one("x-auto-response-suppress") !== "")
    return true;
  return /^(mailer-daemon|postmaster)@/i.test(fromAddress ?? "");
}

export async function readMessage(raw: Buffer): Promise<IntakeMessage> {
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const from = firstAddress(parsed.from);
  const text = parsed.text ?? (typeof parsed.html === "string" ? htmlToText(parsed.html) : "");
  const headerId = ids(parsed.messageId)[0];
  return {
    messageId: headerId ?? `<sha256.${createHash("sha256").update(raw).digest("hex")}@intake.invalid>`,
    fromAddress: from?.address ?? null,
    fromName: from?.name ?? null,
    subject: (parsed.subject ?? "").replace(/\s+/g, " ").trim(),
    sentAt: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    answers: [...new Set([...ids(parsed.inReplyTo), ...ids(parsed.references)])],
    text: stripQuotedHistory(text).slice(0, 20_000),
    attachments: parsed.attachments.map((a) => ({
      name: a.filename ?? "",
      size: a.size ?? a.content.length,
      sha256: createHash("sha256").update(a.content).digest("hex"),
      contentType: a.contentType,
    })),
    contents: parsed.attachments.map((a) => a.content),
    authenticationResults: headerStrings(parsed.headers.get("authentication-results")),
    automatic: isAutomatic(parsed.headers, from?.address ?? null),
  };
}
