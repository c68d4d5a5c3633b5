import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { at, createdAt, id } from "./columns.ts";
import { users } from "./schema.ts";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * How a person proved who they are, in the session's `amr` (RFC 8176 words where they exist). "mfa": an
 * identity provider asserted a level of two factors (its acr among the provider's strongAcrValues).
 */
export type AuthMethod = "pwd" | "sso" | "mfa" | "invitation" | "reset" | "webauthn" | "otp" | "recovery";

/**
 * A signed-in session: PostgreSQL is the truth, the cookie and the access tokens carry its id. Ending a
 * session (logout, password change or reset, deactivation, role change, an admin, the identity provider's
 * logout) sets ended_at, and every request presenting it is refused from then on.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    lastSeenAt: at("last_seen_at").notNull().defaultNow(),
    /** Absolute limit: created_at + SESSION_MAX_SECONDS. The idle limit is last_seen_at + SESSION_IDLE_SECONDS. */
    expiresAt: at("expires_at").notNull(),
    endedAt: at("ended_at"),
    /** Why it ended: logout, password_change, password_reset, deactivated, role_change, admin, sso_logout, expired. */
    endReason: text("end_reason"),
    ip: inet("ip"),
    userAgent: text("user_agent"),
    /** What was proved: ["pwd"], ["pwd", "webauthn"], ["sso"]… */
    amr: jsonb("amr").$type<AuthMethod[]>().notNull().default([]),
    /** Signed in by single sign-on: the provider's name and its session id (sid), for its logout. */
    provider: text("provider"),
    providerSid: text("provider_sid"),
    /** The second factor is required and not given yet: only the second-factor routes answer. */
    secondFactorPending: boolean("second_factor_pending").notNull().default(false),
    /** When a second factor was last checked in this session: removing a factor needs a recent one. */
    secondFactorAt: at("second_factor_at"),
  },
  (t) => [
    index("sessions_user_idx").on(t.userId, t.lastSeenAt.desc()).where(sql`${t.endedAt} IS NULL`),
    index("sessions_provider_sid_idx").on(t.provider, t.providerSid).where(sql`${t.providerSid} IS NOT NULL`),
  ],
);

/** A person's account at an identity provider, linked on first use by verified e-mail, then by subject. */
export const userIdentities = pgTable(
  "user_identities",
  {
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    email: text("email"),
    linkedAt: at("linked_at").notNull().defaultNow(),
    lastUsedAt: at("last_used_at"),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.subject] }),
    uniqueIndex("user_identities_provider_user_key").on(t.provider, t.userId),
  ],
);

/** Passkeys (WebAuthn credentials). */
export const webauthnCredentials = pgTable(
  "webauthn_credentials",
  {
    /** The credential id, base64url. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    publicKey: bytea("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: text("transports").array().notNull().default(sql`'{}'::text[]`),
    deviceType: text("device_type"),
    backedUp: boolean("backed_up").notNull().default(false),
    /** What the person calls it ("téléphone", "clé USB"). */
    name: text("name").notNull(),
    createdAt: createdAt(),
    lastUsedAt: at("last_used_at"),
  },
  (t) => [index("webauthn_credentials_user_idx").on(t.userId)],
);

/** A TOTP secret (RFC 6238), encrypted at rest; the last time step used, so that a code is never replayed. */
export const totpSecrets = pgTable("totp_secrets", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id),
  /** AES-256-GCM under a key derived from the service's secret: iv, tag and ciphertext, base64url. */
  secretEncrypted: text("secret_encrypted").notNull(),
  confirmedAt: at("confirmed_at"),
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: createdAt(),
});

/** Ten single-use recovery codes per person, stored as digests. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    codeHash: text("code_hash").notNull(),
    usedAt: at("used_at"),
    createdAt: createdAt(),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

/**
 * Whether a role must use a second factor: required by default for admin, analyst, task force and ARS;
 * optional until `required_from` for the others (a rollout period the admin sets).
 */
export const secondFactorPolicies = pgTable("second_factor_policies", {
  role: text("role").primaryKey(),
  required: boolean("required").notNull(),
  /** Before this instant the factor is offered, not required. */
  requiredFrom: at("required_from"),
  updatedAt: at("updated_at").notNull().defaultNow(),
  updatedByUserId: uuid("updated_by_user_id").references(() => users.id),
});

/** Failed sign-ins, for throttling per account and per address (kept a day). */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: id(),
    at: at("at").notNull().defaultNow(),
    /** The account's e-mail as typed (lower case), or the link's kind and id for reset and invitation links. */
    subject: text("subject").notNull(),
    ip: inet("ip"),
    kind: text("kind").notNull(),
    attempts: integer("attempts").notNull().default(1),
  },
  (t) => [
    index("sign_in_failures_subject_idx").on(t.subject, t.at.desc()),
    index("sign_in_failures_ip_idx").on(t.ip, t.at.desc()),
  ],
);
