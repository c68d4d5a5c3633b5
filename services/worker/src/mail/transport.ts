import { type Config, dkimPrivateKey, mailDomain } from "@pris/config";
import { contextFromCarrier, SpanKind, type TraceCarrier, withSpan } from "@pris/telemetry";
import { createTransport } from "nodemailer";
import MimeNode from "nodemailer/lib/mime-node";
import type { RenderedMail } from "./templates.ts";

/**
 * A rendered e-mail whose text and HTML parts are MIME-encoded already (encodeBodies): what every recipient
 * of the same content shares, built once for all of them.
 */
export interface EncodedMail extends RenderedMail {
  /** Each part with its own headers, as nodemailer would write it inside the message. */
  encoded: { text: Buffer; html: Buffer };
}

export interface OutgoingMail extends RenderedMail {
  /** Set when the parts were encoded beforehand (encodeBodies): sent as they are. */
  encoded?: EncodedMail["encoded"];
  to: string;
  /** With its angle brackets: `<incident-declared.…@host>`. */
  messageId: string;
  /** The trace the e-mail belongs to, when it is sent outside it (a batch of many traces' e-mails). */
  trace?: TraceCarrier | null;
}

/** nodemailer's list, with the one-click unsubscribe and Auto-Submitted added. */
const DKIM_SIGNED_HEADERS = [
  "From",
  "Sender",
  "Reply-To",
  "Subject",
  "Date",
  "Message-ID",
  "To",
  "Cc",
  "MIME-Version",
  "Content-Type",
  "Content-Transfer-Encoding",
  "In-Reply-To",
  "References",
  "List-Id",
  "List-Unsubscribe",
  "List-Unsubscribe-Post",
  "Auto-Submitted",
].join(":");

/** A body part as nodemailer encodes it inside a message (a child node: no message headers of its own). */
function encodePart(contentType: string, content: string): Promise<Buffer> {
  const part = new MimeNode("multipart/alternative").createChild(contentType);
  part.setContent(content);
  // The message adds the line break that ends a part before the next boundary.
  return part.build().then((raw) => (raw.subarray(-2).toString() === "\r\n" ? raw.subarray(0, -2) : raw));
}

/**
 * The text and HTML parts of `mail` encoded once (quoted-printable, lines folded), to be sent to many
 * recipients: each of their messages then only builds its own headers around the same bytes, which also
 * reach the socket in a few writes instead of a write per encoded line. The structure of the message is
 * the one nodemailer builds from the strings (multipart/alternative, text then HTML).
 */
export async function encodeBodies(mail: RenderedMail): Promise<EncodedMail> {
  const [text, html] = await Promise.all([
    encodePart("text/plain; charset=utf-8", mail.text),
    encodePart("text/html; charset=utf-8", mail.html),
  ]);
  return { ...mail, encoded: { text, html } };
}

export interface SendResult {
  response: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendResult>;
  close(): void;
}

/**
 * One pooled SMTP transport per process: a few long-lived connections instead of one handshake
 * per e-mail. Timeouts are short enough that a stalled relay turns into a retry, not a stuck job.
 */
export function createMailTransport(
  config: Pick<
    Config,
    | "SMTP_URL"
    | "SMTP_POOL_SIZE"
    | "MAIL_FROM"
    | "MAIL_DKIM_SELECTOR"
    | "MAIL_DKIM_PRIVATE_KEY"
    | "MAIL_DKIM_PRIVATE_KEY_FILE"
  >,
): MailTransport {
  const dkimKey = dkimPrivateKey(config);
  const transport = createTransport({
    pool: true,
    // Receivers check the signature against <selector>._domainkey.<MAIL_FROM domain>: aligned with the
    // From, which is what DMARC asks. The list headers are signed too (RFC 8058 requires it for one-click).
    ...(dkimKey && config.MAIL_DKIM_SELECTOR
      ? {
          dkim: {
            domainName: mailDomain(config),
            keySelector: config.MAIL_DKIM_SELECTOR,
            privateKey: dkimKey,
            headerFieldNames: DKIM_SIGNED_HEADERS,
          },
        }
      : {}),
    url: config.SMTP_URL,
    maxConnections: config.SMTP_POOL_SIZE,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    // One span per message handed to the SMTP server, in the trace of the job that sends it.
    send: (mail) =>
      withSpan(
        "smtp send",
        {
          kind: SpanKind.CLIENT,
          attributes: { "pris.mail.message_id": mail.messageId },
          ...(mail.trace ? { parent: contextFromCarrier(mail.trace) } : {}),
        },
        async (span) => {
          const info = await transport.sendMail({
            from: config.MAIL_FROM,
            to: mail.to,
            subject: mail.subject,
            text: mail.encoded ? { raw: mail.encoded.text } : mail.text,
            html: mail.encoded ? { raw: mail.encoded.html } : mail.html,
            messageId: mail.messageId,
            ...(mail.attachments ? { attachments: mail.attachments } : {}),
            // Tells mail servers and out-of-office robots that nobody typed this (RFC 3834).
            headers: { "Auto-Submitted": "auto-generated", ...mail.headers },
          });
          span?.setAttribute("pris.mail.smtp_response", info.response);
          return { response: info.response };
        },
      ),
    close() {
      transport.close();
    },
  };
}

export type SmtpFailure =
  | { kind: "permanent"; code: number | undefined; message: string }
  | { kind: "temporary"; code: number | undefined; message: string };

/**
 * 5xx replies reject the message for good; 4xx replies, timeouts and broken connections may
 * pass later. 503 (bad command sequence) and authentication failures are about the session or
 * our settings, not this message, so they are retried too.
 */
export function classifySmtpError(err: unknown): SmtpFailure {
  const e = (err ?? {}) as { responseCode?: number; code?: string; message?: string; response?: string };
  const code = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const message = e.response ?? e.message ?? String(err);
  const permanent =
    code !== undefined &&
    code >= 500 &&
    code < 600 &&
    code !== 503 &&
    e.code !== "EAUTH" &&
    e.code !== "ENOAUTH";
  return { kind: permanent ? "permanent" : "temporary", code, message };
}
