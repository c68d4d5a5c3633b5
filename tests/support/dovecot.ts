import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";
import { freePort } from "./redis-server.ts";

/**
 * A private Dovecot IMAP server (Debian's `dovecot-imapd`) with its own configuration, users, mail and
 * runtime directories in a temporary directory: no system service, no SSL, plain passwords. It runs as
 * the current user (as root, Dovecot still wants named users for its login and internal processes:
 * the current one is given for both).
 */
export interface PrivateDovecot {
  host: string;
  port: number;
  user: string;
  password: string;
  /** imap://user:password@127.0.0.1:port, as INTAKE_IMAP_URL takes it. */
  url: string;
  /** Puts a raw message into the mailbox (unseen) with IMAP APPEND; returns its UID. */
  append(raw: string, mailbox?: string): Promise<number>;
  /** The same, flagged \Seen already (a person opened it in their client). */
  appendSeen(raw: string, mailbox?: string): Promise<number>;
  /** The flags of every message of the mailbox, by UID. */
  flags(mailbox?: string): Promise<Map<number, Set<string>>>;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function dovecotBinary(): string {
  for (const candidate of ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]) {
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      return candidate;
    } catch {}
  }
  throw new Error("dovecot not found: apt-get install dovecot-imapd (.ci/run installs it)");
}

function systemUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

function groupName(gid: number): string {
  return execFileSync("getent", ["group", String(gid)], { encoding: "utf8" }).split(":")[0]!;
}

export async function startDovecot(
  options: { port?: number; user?: string; password?: string } = {},
): Promise<PrivateDovecot> {
  const bin = dovecotBinary();
  const dir = mkdtempSync(path.join(tmpdir(), "pris-dovecot-"));
  chmodSync(dir, 0o755);
  const user = options.user ?? "intake";
  const password = options.password ?? "secret";
  const port =
    options.port ?? (process.env.DOVECOT_PORT ? Number(process.env.DOVECOT_PORT) : await freePort());
  const me = userInfo();
  // As root, Dovecot refuses to run its login process or to open mail as uid 0: Debian's package
  // created `dovenull` (login) and `dovecot` (internal, and here the mail's owner) for that.
  const asRoot = me.uid === 0;
  const mailOwner = asRoot ? systemUser("dovecot") : { uid: me.uid, gid: me.gid };
  const mail = path.join(dir, "mail");
  const run = path.join(dir, "run");
  for (const d of [mail, run, path.join(dir, "state")]) mkdirSync(d, { recursive: true });
  chownSync(mail, mailOwner.uid, mailOwner.gid);
  writeFileSync(
    path.join(dir, "passwd"),
    `${user}:{PLAIN}${password}:${mailOwner.uid}:${mailOwner.gid}::${mail}/${user}\n`,
  );
  const conf = path.join(dir, "dovecot.conf");
  writeFileSync(
    conf,
    [
      `base_dir = ${run}`,
      `state_dir = ${path.join(dir, "state")}`,
      "protocols = imap",
      `listen = 127.0.0.1`,
      "ssl = no",
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain login",
      `default_login_user = ${asRoot ? "dovenull" : me.username}`,
      `default_internal_user = ${asRoot ? "dovecot" : me.username}`,
      `default_internal_group = ${asRoot ? "dovecot" : groupName(me.gid)}`,
      "first_valid_uid = 1",
      "first_valid_gid = 1",
      `mail_location = maildir:${mail}/%u/Maildir`,
      `log_path = ${path.join(dir, "dovecot.log")}`,
      "service imap-login {",
      "  inet_listener imap {",
      `    port = ${port}`,
      "  }",
      "  inet_listener imaps {",
      "    port = 0",
      "  }",
      "  chroot =",
      "}",
      "service anvil {",
      "  chroot =",
      "}",
      "passdb {",
      "  driver = passwd-file",
      `  args = scheme=PLAIN ${path.join(dir, "passwd")}`,
      "}",
      "userdb {",
      "  driver = passwd-file",
      `  args = ${path.join(dir, "passwd")}`,
      "}",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(bin, ["-F", "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`dovecot did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  async function client(): Promise<ImapFlow> {
    const c = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      auth: { user, pass: password },
      logger: false,
    });
    await c.connect();
    return c;
  }

  async function append(raw: string, mailbox: string, flags: string[]): Promise<number> {
    const c = await client();
    try {
      const result = await c.append(mailbox, raw, flags);
      if (!result) throw new Error("APPEND refused");
      return Number(result.uid);
    } finally {
      await c.logout();
    }
  }

  return {
    host: "127.0.0.1",
    port,
    user,
    password,
    url: `imap://${user}:${password}@127.0.0.1:${port}`,
    append: (raw, mailbox = "INBOX") => append(raw, mailbox, []),
    appendSeen: (raw, mailbox = "INBOX") => append(raw, mailbox, ["\\Seen"]),
    async flags(mailbox = "INBOX") {
      const c = await client();
      const out = new Map<number, Set<string>>();
      try {
        await c.mailboxOpen(mailbox, { readOnly: true });
        const status = c.mailbox;
        if (status && status.exists > 0) {
          for await (const m of c.fetch("1:*", { uid: true, flags: true })) {
            out.set(m.uid, new Set(m.flags ?? []));
          }
        }
      } finally {
        await c.logout();
      }
      return out;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
