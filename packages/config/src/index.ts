import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import Type, { type Static } from "typebox";
import { Value } from "typebox/value";

const Duration = (description: string, defaultValue: number, minimum = 1) =>
  Type.Integer({ minimum, default: defaultValue, description });

/**
 * Every setting the service reads from the environment, with its default and meaning.
 * The README's table is this list; keep the two in step.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal("development"), Type.Literal("test"), Type.Literal("production")], {
    default: "development",
    description:
      "development, test or production; production turns off /docs, assumes https (Secure cookie, HSTS) and demands real secrets",
  }),
  HOST: Type.String({ default: "0.0.0.0", description: "Address the API listens on" }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: "Port the API listens on" }),
  PUBLIC_URL: Type.String({
    format: "uri",
    default: "http://localhost:3000",
    description:
      "Public address of the web app, used in links sent by e-mail; https here makes the session cookie Secure and sends HSTS",
  }),
  LOG_LEVEL: Type.Union(
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => Type.Literal(l)),
    { default: "info", description: "pino log level" },
  ),
  DATABASE_URL: Type.String({
    minLength: 1,
    default: "postgres://postgres:postgres@127.0.0.1:5432/pris",
    description: "PostgreSQL connection string (the source of truth)",
  }),
  DATABASE_READ_URL: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "API: PostgreSQL connection string of a read replica (CloudNativePG's `-ro` service) for the statistics and the exports; unset: they read the primary. Replication lag shows there, never in a journey",
    }),
  ),
  DATABASE_POOL_MAX: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 20,
    description: "PostgreSQL pool size per process",
  }),
  MIGRATE_ON_START: Type.Boolean({
    default: true,
    description: "Apply pending migrations when the API starts (under an advisory lock, so once)",
  }),
  REDIS_URL: Type.String({
    minLength: 1,
    default: "redis://127.0.0.1:6379",
    description: "Redis connection string (work in flight only: BullMQ queues)",
  }),
  REDIS_SENTINELS: Type.String({
    default: "",
    pattern: "^$|^[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*$",
    description:
      "Redis Sentinels as host:port,host:port: set, every process asks them for the current primary of REDIS_SENTINEL_MASTER (and follows a failover) instead of REDIS_URL's host; REDIS_URL still gives the password, which the Sentinels share",
  }),
  REDIS_SENTINEL_MASTER: Type.String({
    minLength: 1,
    default: "pris",
    description: "The name the Sentinels know the primary by (their master group)",
  }),
  QUEUE_PREFIX: Type.String({
    minLength: 1,
    default: "pris",
    description: "Prefix of every BullMQ key in Redis",
  }),
  SMTP_URL: Type.String({
    minLength: 1,
    default: "smtp://127.0.0.1:1025",
    description: "SMTP server used for every e-mail (nodemailer URL: smtp://user:pass@host:port, smtps://…)",
  }),
  SMTP_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 5,
    description: "Pooled SMTP connections per worker",
  }),
  MAIL_FROM: Type.String({
    minLength: 3,
    default: "PRIS Cyber Santé <pris@localhost>",
    description:
      "Sender of every e-mail; its domain names the Message-IDs and signs DKIM, and must be a real one in production (SPF, DMARC)",
  }),
  MAIL_DKIM_SELECTOR: Type.String({
    default: "",
    pattern:
      "^$|^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
    description:
      "DKIM selector of the MAIL_FROM domain (the key is published at <selector>._domainkey.<domain>); with a key, every e-mail is signed",
  }),
  MAIL_DKIM_PRIVATE_KEY: Type.String({
    default: "",
    description: "DKIM private key (RSA, PEM); or give MAIL_DKIM_PRIVATE_KEY_FILE",
  }),
  MAIL_DKIM_PRIVATE_KEY_FILE: Type.String({
    default: "",
    description: "Path of a file holding the DKIM private key (PEM), e.g. a mounted Kubernetes secret",
  }),
  INTAKE_IMAP_URL: Type.String({
    default: "",
    pattern: "^$|^imaps?://[^\\s]+$",
    description:
      "The pole's mailbox read as an entrance, imap://user:password@host:port (imaps:// over TLS); unset, the worker reads no mailbox",
  }),
  INTAKE_MAILBOX: Type.String({
    minLength: 1,
    default: "INBOX",
    description: "The folder of INTAKE_IMAP_URL's account that is read",
  }),
  INTAKE_POLL_SECONDS: Duration(
    "The intake mailbox is looked at this often even when IMAP IDLE said nothing (a server without IDLE, a lost notification)",
    60,
  ),
  INTAKE_MAX_MESSAGE_BYTES: Type.Integer({
    minimum: 1024,
    default: 26_214_400,
    description:
      "A message to the intake mailbox larger than this is quarantined unread (its size is its reason)",
  }),
  INTAKE_AUTHSERV_ID: Type.String({
    default: "",
    pattern: "^$|^[^\\s;]+$",
    description:
      "The receiving server's name in Authentication-Results (its authserv-id): set, only its verdicts are believed, never a header the sender wrote",
  }),
  INTAKE_REQUIRE_AUTHENTICATION: Type.Boolean({
    default: false,
    description:
      "Quarantine a message that carries no SPF/DKIM/DMARC verdict of the receiving server (off: only a failing verdict quarantines)",
  }),
  POLE_EMERGENCY_PHONE: Type.String({
    default: "",
    pattern: "^$|^\\+?[0-9 ().-]{6,30}$",
    description:
      "Emergency phone of the regional cyber pole, shown on the login page, the declaration's confirmation and every e-mail to an establishment",
  }),
  JWT_SECRET: Type.String({
    minLength: 32,
    default: "dev-only-secret-change-me-0123456789abcdef",
    description: "HMAC secret of access tokens (HS256), at least 32 characters; required in production",
  }),
  JWT_PREVIOUS_SECRETS: Type.String({
    default: "",
    pattern: "^$|^[^,]{32,}(,[^,]{32,})*$",
    description:
      "Former JWT_SECRET values, comma-separated, still accepted to verify tokens and session cookies during a key rotation (new ones are signed with JWT_SECRET only)",
  }),
  TRUST_PROXY: Type.String({
    default: "",
    pattern: "^$|^[0-9A-Fa-f:.]+(/[0-9]{1,3})?(,[0-9A-Fa-f:.]+(/[0-9]{1,3})?)*$",
    description:
      "Reverse proxies whose X-Forwarded-For is believed, as addresses or CIDRs, comma-separated (none by default: the client address is the connection's)",
  }),
  LOG_CHAIN_KEY: Type.String({
    minLength: 32,
    default: "dev-only-log-chain-key-change-me-0123456789",
    description:
      "HMAC key of the main courante's hash chain and of the daily signed checkpoints, at least 32 characters; never stored in the database; required in production",
  }),
  LOG_CHAIN_PREVIOUS_KEYS: Type.String({
    default: "",
    pattern: "^$|^[^,]{32,}(,[^,]{32,})*$",
    description:
      "Former LOG_CHAIN_KEY values, comma-separated, kept after a rotation so that entries and checkpoints made under them still verify",
  }),
  LOG_CHECKPOINT_TIME: Type.String({
    pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$",
    default: "00:05",
    description:
      "Worker: time of day (HH:MM, region's zone) of the daily signed checkpoint of every main courante's head, e-mailed to the ARS",
  }),
  ACCESS_TRACE_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    default: 365,
    description: "Traces of access to incidents, exports and bulletin dashboards are kept this many days",
  }),
  RETENTION_CLOSED_DAYS: Type.Integer({
    minimum: 1,
    default: 1826,
    description:
      "Evidence files and e-mail bodies of a closed incident are kept this many days after its closure (5 years by default), then purged by the worker",
  }),
  RETENTION_QUARANTINE_DAYS: Type.Integer({
    minimum: 1,
    default: 90,
    description:
      "Messages of the intake mailbox quarantined and never attached to an establishment are kept this many days after their receipt, then their content (text, subject, sender, attachments' names) is blanked by the worker",
  }),
  RETENTION_ORPHAN_HOURS: Type.Integer({
    minimum: 1,
    default: 24,
    description:
      "Worker: stored evidence bytes that no evidence file names (written, then their transaction rolled back) are deleted by the daily purge once this many hours old",
  }),
  JWT_ISSUER: Type.String({ minLength: 1, default: "pris", description: "iss claim of access tokens" }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: "pris-api", description: "aud claim of access tokens" }),
  ACCESS_TOKEN_TTL_SECONDS: Duration("Lifetime of a bearer access token returned by login", 900, 60),
  SESSION_IDLE_SECONDS: Duration("Web session: idle time after which the session cookie expires", 3600, 60),
  SESSION_MAX_SECONDS: Duration("Web session: absolute lifetime, whatever the activity", 43200, 300),
  SESSION_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    default: 90,
    description:
      "Ended or expired sessions (who signed in, when, from which address and device) are kept this many days, then deleted by the worker",
  }),
  LOGIN_RATE_LIMIT_MAX: Type.Integer({
    minimum: 1,
    default: 10,
    description: "Failed sign-ins allowed per client address and e-mail in the window, then 429",
  }),
  LOGIN_RATE_LIMIT_ADDRESS_MAX: Type.Integer({
    minimum: 1,
    default: 100,
    description:
      "Failed sign-ins (and bad reset or invitation links) allowed per client address in the window, whatever the account, then 429",
  }),
  LOGIN_RATE_LIMIT_WINDOW_SECONDS: Duration("Window of the login rate limit", 300),
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    default: 1048576,
    description: "Largest request body accepted; larger ones get 413",
  }),
  REGISTRY_IMPORT_MAX_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1073741824,
    default: 104857600,
    description:
      "Largest registry file (FINESS extract or CSV) an administrator may upload, in bytes; larger ones get 413. The national extract is about 50 MB",
  }),
  EVIDENCE_MAX_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 10737418240,
    default: 104857600,
    description:
      "Largest evidence file (screenshot, log, suspicious attachment) accepted on an incident, in bytes; larger ones get 413",
  }),
  EVIDENCE_DIR: Type.String({
    minLength: 1,
    default: ".data/evidence",
    description:
      "Local volume where evidence files are kept when no S3 bucket is set (relative to the working directory); files are named by id",
  }),
  EVIDENCE_S3_BUCKET: Type.String({
    default: "",
    description:
      "S3-compatible bucket for evidence files; set, it replaces EVIDENCE_DIR (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the pod's role)",
  }),
  EVIDENCE_S3_ENDPOINT: Type.String({
    default: "",
    description:
      "Endpoint of an S3-compatible store other than AWS (MinIO, Garage, OVH, Scaleway…): https://s3.example.fr",
  }),
  EVIDENCE_S3_REGION: Type.String({
    minLength: 1,
    default: "us-east-1",
    description: "Region of the evidence bucket",
  }),
  EVIDENCE_S3_PREFIX: Type.String({
    default: "evidence/",
    description: "Prefix of the evidence files' keys in the bucket",
  }),
  EVIDENCE_S3_FORCE_PATH_STYLE: Type.Boolean({
    default: true,
    description:
      "Address the bucket in the path (https://host/bucket/key), as most S3-compatible stores want",
  }),
  CLAMD_SOCKET: Type.String({
    default: "",
    description:
      "Path of clamd's local socket (Debian: /run/clamav/clamd.ctl); set, it wins over CLAMD_HOST / CLAMD_PORT",
  }),
  CLAMD_HOST: Type.String({
    minLength: 1,
    default: "127.0.0.1",
    description: "Host of clamd's TCP socket, when CLAMD_SOCKET is not set",
  }),
  CLAMD_PORT: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: 3310,
    description: "Port of clamd's TCP socket, when CLAMD_SOCKET is not set",
  }),
  CLAMD_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 30000,
    description:
      "How long clamd may take to answer after the last byte of a file; past it (or clamd out of reach) the file is unscannable and kept from download",
  }),
  API_DOCS: Type.Union([Type.Literal("auto"), Type.Literal("on"), Type.Literal("off")], {
    default: "auto",
    description:
      "Serve the interactive API documentation at /docs: on, off, or auto (on except when NODE_ENV=production)",
  }),
  IDEMPOTENCY_TTL_HOURS: Duration("How long an Idempotency-Key is remembered", 24),
  REGION_CODE: Type.String({
    pattern: "^[A-Z]{3}$",
    default: "REU",
    description: "Three-letter region code, prefix of references (REU-2026-0001)",
  }),
  REGION_NAME: Type.String({
    minLength: 1,
    default: "La Réunion",
    description: "Region name shown to users",
  }),
  REGION_TIMEZONE: Type.String({
    minLength: 1,
    default: "Indian/Reunion",
    description: "IANA time zone of the region: dates are shown, and references numbered, in it",
  }),
  NATIONAL_PORTAL_DUE_HOURS: Type.Integer({
    minimum: 0,
    default: 24,
    description:
      "Operational due time of the national portal declaration, which the law says is 'sans délai' (0 = due at awareness)",
  }),
  SLA_ACK_MINUTES_P1: Duration("Service level: a P1 is acknowledged within this many minutes", 15),
  SLA_ACK_MINUTES_P2: Duration("Service level: a P2 is acknowledged within this many minutes", 60),
  SLA_ACK_MINUTES_P3: Duration("Service level: a P3 is acknowledged within this many minutes", 240),
  SLA_ACK_MINUTES_P4: Duration(
    "Service level: a P4 is acknowledged within this many minutes (a working day)",
    1440,
  ),
  SLA_REMIND_BEFORE_MINUTES: Duration(
    "The on-duty analyst is reminded this long before a service level is missed (at most half of it)",
    5,
  ),
  EXERCISE_SUBJECT_CATEGORIES: Type.String({
    pattern: "^\\*$|^[a-z_]+(,[a-z_]+)*$",
    default: "*",
    description:
      "Establishment categories that owe a yearly cyber-crisis exercise, comma-separated (chu,ch,ehpad…), or * for all",
  }),
  EXERCISE_SMALL_STRUCTURES: Type.Union([Type.Literal("subject"), Type.Literal("exempt")], {
    default: "subject",
    description: "Small structures owe the exercise too (the light format is enough), or are exempt",
  }),
  EXERCISE_PLAN_BY: Type.String({
    pattern: "^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    default: "03-31",
    description:
      "Day of the year (MM-DD) by which an establishment should have planned its exercise; reminded then, and every 14 days after",
  }),
  EXERCISE_REMINDER_SCAN_SECONDS: Duration(
    "Worker: how often the exercise reminders are looked for (each is sent once per object, kind and day)",
    3600,
  ),
  ADMIN_EMAIL: Type.Optional(
    Type.String({ format: "email", description: "First administrator, created at start if no admin exists" }),
  ),
  ADMIN_PASSWORD: Type.Optional(
    Type.String({ minLength: 12, description: "Password of the first administrator" }),
  ),
  WEB_DIST_DIR: Type.String({
    default: "services/web/dist",
    description: "Built web app served at / (relative to the working directory); not served when missing",
  }),
  OUTBOX_POLL_MS: Type.Integer({
    minimum: 50,
    default: 500,
    description:
      "Worker: how often the outbox is polled as a safety net; rows are normally relayed when they commit (LISTEN pris_outbox)",
  }),
  REDIS_LOSS_RECOVERY_SECONDS: Duration(
    "Worker: jobs Redis lost (wiped, emptied, failed over) are found in PostgreSQL and queued again within this long",
    60,
    2,
  ),
  OUTBOX_UNKNOWN_TOPIC_SECONDS: Duration(
    "Worker: a pending outbox row of a topic the worker does not handle, left this long by every relay, gets a last_error and an error logged (keep above REDIS_LOSS_RECOVERY_SECONDS)",
    600,
  ),
  BULLETIN_ACK_LINK_DAYS: Duration(
    "Alert bulletins: how long a recipient's personal acknowledgement link stays valid",
    30,
  ),
  INVITATION_TTL_HOURS: Duration(
    "Invitations: how long the link e-mailed to an invited person stays valid (re-sending starts it again)",
    168,
  ),
  PASSWORD_RESET_TTL_MINUTES: Duration(
    "Password reset: how long the link e-mailed to a person who forgot their password stays valid",
    30,
  ),
  BULLETIN_REMINDER_HOURS: Type.Integer({
    minimum: 0,
    default: 72,
    description:
      "Alert bulletins: recipients who have not answered this long after their e-mail are reminded once (0 = never)",
  }),
  BULLETIN_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 2000,
    default: 200,
    description: "Worker: bulletin e-mails claimed and recorded per database round trip",
  }),
  OIDC_PROVIDERS: Type.String({
    default: "[]",
    description:
      "Single sign-on: a JSON array of OpenID Connect providers ({name, label, issuer, clientId, clientSecret, scopes, strongAcrValues, roles}); see the README",
  }),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description:
        "Port of the Prometheus endpoint (GET /metrics) of this process, a listener apart from PORT; unset: no metrics. Give the API and a worker on one host different ports",
    }),
  ),
  METRICS_HOST: Type.String({
    minLength: 1,
    default: "127.0.0.1",
    description:
      "Address the metrics listener binds to: the loopback by default; 0.0.0.0 for a scraper on another host (then set METRICS_TOKEN)",
  }),
  METRICS_TOKEN: Type.String({
    default: "",
    pattern: "^$|^[\\x21-\\x7e]{32,}$",
    description:
      "Bearer token every metrics request must carry (Authorization: Bearer …), at least 32 printable characters; required in production when METRICS_HOST is not the loopback",
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      format: "uri",
      pattern: "^https?://",
      description:
        "OpenTelemetry: base URL of an OTLP/HTTP collector (spans go to <URL>/v1/traces, as OTLP JSON); unset: no tracing at all. OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME and OTEL_TRACES_SAMPLER are read as the OpenTelemetry SDK defines them",
    }),
  ),
  OTEL_SDK_DISABLED: Type.Boolean({
    default: false,
    description: "OpenTelemetry: true turns tracing off even with an endpoint set",
  }),
  SHUTDOWN_TIMEOUT_SECONDS: Duration(
    "On SIGTERM: the API ends its event streams and lets in-flight requests finish, the worker lets running jobs finish for half of it (then leaves them to another worker, once their lock expires); past it the process exits anyway",
    20,
  ),
  WORKER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 200,
    default: 10,
    description: "Worker: jobs run at once per queue",
  }),
});

export type Config = Static<typeof ConfigSchema>;

/** One OpenID Connect provider people may sign in with (ProConnect, Pro Santé Connect…). */
export const OidcProviderSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,31}$", description: "Key in URLs: proconnect" }),
    label: Type.String({ minLength: 1, maxLength: 60, description: "Shown on the login page: ProConnect" }),
    issuer: Type.String({ format: "uri", description: "Issuer URL; its discovery document is read" }),
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.String({ minLength: 1 }),
    scopes: Type.String({ default: "openid email profile", pattern: "(^|\\s)openid(\\s|$)" }),
    /** acr values asked for in the authorization request (acr_values), space-separated; none by default. */
    acrValues: Type.Optional(Type.String({ minLength: 1 })),
    /** acr values that prove two factors: a sign-in asserting one of them needs no second factor here. */
    strongAcrValues: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** The roles this provider may sign in: the others are refused. */
    roles: Type.Array(
      Type.Union(["rssi", "analyst", "taskforce", "ars", "admin"].map((r) => Type.Literal(r))),
      { minItems: 1, uniqueItems: true },
    ),
  },
  { additionalProperties: false },
);
export type OidcProvider = Static<typeof OidcProviderSchema>;

const loopback = (url: URL) => ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);

/**
 * OIDC_PROVIDERS read as providers, or the problems found: a JSON array of distinct names; issuers over
 * https (plain http only on the loopback interface, for a provider run on the developer's machine, and
 * never in production).
 */
export function readOidcProviders(config: Pick<Config, "OIDC_PROVIDERS" | "NODE_ENV">): {
  providers: OidcProvider[];
  problems: string[];
} {
  let raw: unknown;
  try {
    raw = JSON.parse(config.OIDC_PROVIDERS);
  } catch {
    return { providers: [], problems: ["OIDC_PROVIDERS: not JSON"] };
  }
  const schema = Type.Array(OidcProviderSchema);
  const value = Value.Default(schema, Value.Clone(raw));
  const problems = Value.Errors(schema, value).map(
    (e) => `OIDC_PROVIDERS${e.instancePath.replace(/\//g, ".")}: ${e.message}`,
  );
  if (problems.length > 0) return { providers: [], problems };
  const providers = value as OidcProvider[];
  const names = new Set<string>();
  for (const p of providers) {
    if (names.has(p.name)) problems.push(`OIDC_PROVIDERS: provider "${p.name}" named twice`);
    names.add(p.name);
    const issuer = new URL(p.issuer);
    if (
      issuer.protocol !== "https:" &&
      (issuer.protocol !== "http:" || !loopback(issuer) || config.NODE_ENV === "production")
    )
      problems.push(`OIDC_PROVIDERS: issuer of "${p.name}" must be https (got "${p.issuer}")`);
  }
  return { providers: problems.length > 0 ? [] : providers, problems };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Whether /docs serves the interactive documentation: off in production unless asked for. */
/**
 * What an ioredis client adds to REDIS_URL to reach the primary through the Sentinels: nothing when none is
 * set. The Sentinels share the primary's password (the redis-operator's one Secret).
 */
export function redisSentinelOptions(
  config: Pick<Config, "REDIS_URL" | "REDIS_SENTINELS" | "REDIS_SENTINEL_MASTER">,
): {
  sentinels?: { host: string; port: number }[];
  name?: string;
  sentinelPassword?: string;
  failoverDetector?: boolean;
} {
  if (!config.REDIS_SENTINELS) return {};
  const password = decodeURIComponent(new URL(config.REDIS_URL).password) || undefined;
  return {
    sentinels: config.REDIS_SENTINELS.split(",").map((entry) => {
      const at = entry.lastIndexOf(":");
      return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
    }),
    name: config.REDIS_SENTINEL_MASTER,
    // Told of a failover by the Sentinels (+switch-master) rather than by a primary turned read-only.
    failoverDetector: true,
    ...(password ? { sentinelPassword: password } : {}),
  };
}

export function docsEnabled(config: Pick<Config, "API_DOCS" | "NODE_ENV">): boolean {
  return config.API_DOCS === "on" || (config.API_DOCS === "auto" && config.NODE_ENV !== "production");
}

/**
 * Whether browsers reach the service over https only: cookies are then Secure and HSTS is sent.
 * Production is assumed to be behind TLS even when PUBLIC_URL was left as http.
 */
export function servedOverHttps(config: Pick<Config, "PUBLIC_URL" | "NODE_ENV">): boolean {
  return config.NODE_ENV === "production" || config.PUBLIC_URL.startsWith("https:");
}

/** The address of a sender written `Name <address>` or bare. */
export function mailAddress(from: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(from);
  return (angle ? angle[1]! : from).trim();
}

/** The domain of MAIL_FROM: Message-IDs are written on it and DKIM signs for it. */
export function mailDomain(config: Pick<Config, "MAIL_FROM">): string {
  const address = mailAddress(config.MAIL_FROM);
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * A domain no receiving server can check SPF or DMARC against: localhost, or a name without a dot.
 */
function unroutableDomain(domain: string): boolean {
  return domain === "localhost" || domain.endsWith(".localhost") || !domain.includes(".");
}

/** The DKIM key, read from the setting or its file; null when e-mails are not signed. */
export function dkimPrivateKey(
  config: Pick<Config, "MAIL_DKIM_PRIVATE_KEY" | "MAIL_DKIM_PRIVATE_KEY_FILE">,
): string | null {
  if (config.MAIL_DKIM_PRIVATE_KEY) return config.MAIL_DKIM_PRIVATE_KEY.replaceAll("\\n", "\n");
  if (config.MAIL_DKIM_PRIVATE_KEY_FILE) return readFileSync(config.MAIL_DKIM_PRIVATE_KEY_FILE, "utf8");
  return null;
}

function mailProblems(config: Config): string[] {
  const problems: string[] = [];
  const address = mailAddress(config.MAIL_FROM);
  const at = address.lastIndexOf("@");
  if (at < 1 || at === address.length - 1 || /\s/.test(address)) {
    return [`MAIL_FROM: not an e-mail address (got "${config.MAIL_FROM}")`];
  }
  if (config.NODE_ENV === "production" && unroutableDomain(mailDomain(config))) {
    problems.push(
      `MAIL_FROM: must use a real domain of yours in production, with SPF and DMARC (got "${config.MAIL_FROM}")`,
    );
  }
  if (config.MAIL_DKIM_PRIVATE_KEY && config.MAIL_DKIM_PRIVATE_KEY_FILE) {
    problems.push("MAIL_DKIM_PRIVATE_KEY / MAIL_DKIM_PRIVATE_KEY_FILE: set one or the other");
    return problems;
  }
  const keyGiven = Boolean(config.MAIL_DKIM_PRIVATE_KEY || config.MAIL_DKIM_PRIVATE_KEY_FILE);
  if (keyGiven !== Boolean(config.MAIL_DKIM_SELECTOR)) {
    problems.push("MAIL_DKIM_SELECTOR / MAIL_DKIM_PRIVATE_KEY: set both or neither");
    return problems;
  }
  if (keyGiven) {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey(dkimPrivateKey(config) ?? "");
    } catch (err) {
      const which = config.MAIL_DKIM_PRIVATE_KEY_FILE
        ? "MAIL_DKIM_PRIVATE_KEY_FILE"
        : "MAIL_DKIM_PRIVATE_KEY";
      const reason =
        (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "not a PEM private key";
      problems.push(`${which}: ${reason}`);
    }
    // nodemailer signs rsa-sha256 only, which is also the one algorithm every receiver checks.
    if (key && key.asymmetricKeyType !== "rsa") {
      problems.push(`MAIL_DKIM_PRIVATE_KEY: an RSA key is needed (got ${key.asymmetricKeyType})`);
    }
  }
  return problems;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

function metricsProblems(config: Config): string[] {
  if (config.METRICS_PORT === undefined) return [];
  // The API's own listener: the metrics would share the public port. A worker does not listen on PORT,
  // but one setting for both keeps a single file of settings valid for both.
  if (config.METRICS_PORT !== 0 && config.METRICS_PORT === config.PORT)
    return [`METRICS_PORT: must differ from PORT, which is public (got ${config.METRICS_PORT})`];
  if (config.NODE_ENV === "production" && !config.METRICS_TOKEN && !LOOPBACK_HOSTS.has(config.METRICS_HOST))
    return [
      `METRICS_TOKEN: required in production when the metrics listen beyond the loopback (METRICS_HOST "${config.METRICS_HOST}")`,
    ];
  return [];
}

const DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef";
const DEV_LOG_CHAIN_KEY = "dev-only-log-chain-key-change-me-0123456789";

/** Reads, converts and validates the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw));
  const problems = Value.Errors(ConfigSchema, withDefaults).map((e) => {
    const name = e.instancePath.replace(/^\//, "") || "(config)";
    const shown =
      name in raw && !/SECRET|PASSWORD|KEY|TOKEN/.test(name) ? ` (got "${String(raw[name])}")` : "";
    return `${name}: ${e.message}${shown}`;
  });
  const config = withDefaults as Config;
  if (problems.length === 0 && config.NODE_ENV === "production" && config.JWT_SECRET === DEV_SECRET) {
    problems.push("JWT_SECRET: must be set to a secret of your own in production");
  }
  if (
    problems.length === 0 &&
    config.NODE_ENV === "production" &&
    config.LOG_CHAIN_KEY === DEV_LOG_CHAIN_KEY
  ) {
    problems.push("LOG_CHAIN_KEY: must be set to a secret of your own in production");
  }
  if (problems.length === 0 && (config.ADMIN_EMAIL === undefined) !== (config.ADMIN_PASSWORD === undefined)) {
    problems.push("ADMIN_EMAIL / ADMIN_PASSWORD: set both or neither");
  }
  if (problems.length === 0) {
    try {
      new Intl.DateTimeFormat("fr-FR", { timeZone: config.REGION_TIMEZONE });
    } catch {
      problems.push(`REGION_TIMEZONE: not an IANA time zone (got "${config.REGION_TIMEZONE}")`);
    }
  }
  if (problems.length === 0) problems.push(...metricsProblems(config));
  if (problems.length === 0) problems.push(...mailProblems(config));
  if (problems.length === 0) problems.push(...readOidcProviders(config).problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
