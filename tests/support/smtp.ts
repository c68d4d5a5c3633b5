import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerSession } from "smtp-server";

export interface ReceivedMail {
  envelopeTo: string[];
  envelopeFrom: string;
  parsed: ParsedMail;
  raw: string;
  /** Date.now() when the server accepted it. */
  receivedAt: number;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Makes the next `count` RCPT TO answer with this SMTP code (e.g. 451 temporary, 550 permanent); 0 stops. */
  failRecipients(code: number, count?: number): void;
  /** Makes the server take this long to accept each message (a slow relay). */
  slowDown(ms: number): void;
  /** Messages whose data has begun to arrive and that are not accepted yet: sends in progress. */
  receiving(): number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server in the test process: every message is parsed and kept in order of arrival. */
export async function startSmtpServer(port = 0): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let failures: { code: number; left: number } | undefined;
  let acceptDelayMs = 0;
  /** Sessions in the middle of a message's data; a client killed mid-message ends its session. */
  const receiving = new Set<string>();
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (failures && failures.left > 0) {
        failures.left -= 1;
        const err = new Error(failures.code >= 500 ? "Mailbox unavailable" : "Try again later") as Error & {
          responseCode: number;
        };
        err.responseCode = failures.code;
        callback(err);
        return;
      }
      callback();
    },
    onClose(session) {
      receiving.delete(session.id);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      receiving.add(session.id);
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        if (acceptDelayMs > 0) await new Promise((r) => setTimeout(r, acceptDelayMs));
        const raw = Buffer.concat(chunks).toString("utf8");
        const parsed = await simpleParser(raw);
        messages.push({
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          parsed,
          raw,
          receivedAt: Date.now(),
        });
        receiving.delete(session.id);
        for (const w of waiters.splice(0)) w();
        callback();
      });
    },
  });
  // A client killed mid-session (the worker-kill test) resets its connection: expected, not a failure.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    messages,
    failRecipients(code, count = 1) {
      failures = { code, left: count };
    },
    slowDown(ms) {
      acceptDelayMs = ms;
    },
    receiving: () => receiving.size,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
