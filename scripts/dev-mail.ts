/**
 * Development mail catcher, for a machine without mailpit: an SMTP server on SMTP_URL's host and port
 * that accepts every message, stores it as an .eml file under .data/mail/ and logs one line per message.
 * Never for production: it accepts any login and keeps everything in clear on disk.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "@pris/config";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

const MAIL_DIR = path.resolve(".data/mail");

function addresses(field: AddressObject | AddressObject[] | undefined): string {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => v.address ?? v.name)).join(", ");
}

const config = loadConfig();
const url = new URL(config.SMTP_URL);
const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
const port = Number(url.port || 25);

await mkdir(MAIL_DIR, { recursive: true });
let sequence = 0;

const server = new SMTPServer({
  // Plain SMTP on the loopback: no certificate to make, and nodemailer then sends in clear.
  disabledCommands: ["STARTTLS"],
  authOptional: true,
  allowInsecureAuth: true,
  logger: false,
  size: 25 * 1024 * 1024,
  onAuth(auth, _session, callback) {
    callback(null, { user: auth.username ?? "dev" });
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", callback);
    stream.on("end", () => {
      const raw = Buffer.concat(chunks);
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      sequence += 1;
      const file = path.join(MAIL_DIR, `${stamp}-${String(sequence).padStart(4, "0")}.eml`);
      writeFile(file, raw)
        .then(() => simpleParser(raw))
        .then((mail) => {
          const to = addresses(mail.to) || session.envelope.rcptTo.map((r) => r.address).join(", ");
          console.log(
            `📧 ${to} — ${mail.subject ?? "(no subject)"}  [${path.relative(process.cwd(), file)}]`,
          );
          callback();
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    });
  },
});

let listening = false;
server.on("error", (error) => {
  console.error(`dev mail catcher: ${error.message}`);
  // Failing to bind is fatal; a client's broken connection later is not.
  if (!listening) process.exit(1);
});

server.listen(port, host, () => {
  listening = true;
  console.log(`dev mail catcher listening on smtp://${host}:${port}, messages saved in ${MAIL_DIR}`);
});

function stop(): void {
  server.close(() => process.exit(0));
  // A client holding its connection open must not keep Ctrl-C waiting.
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
