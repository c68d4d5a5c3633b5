import { sql } from "drizzle-orm";
import {
  check,
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
import { establishments, ghts, territories, users } from "./schema.ts";

/**
 * The administration trail: every change to the region's reference data, its people, their roles and
 * keys, the registry imports and the on-call roster — who, when, what, before → after (changed fields
 * only). Append-only like the main courante: the database refuses UPDATE, DELETE and TRUNCATE (0018).
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: id(),
    at: at("at").notNull().defaultNow(),
    actorUserId: uuid("actor_user_id").references(() => users.id),
    /** The actor as read at the time (e-mail, or "system" for the bootstrap and the worker). */
    actorLabel: text("actor_label").notNull(),
    /** What was done, as `<object kind>.<verb>`: "territory.create", "user.update", "import.apply"… */
    action: text("action").notNull(),
    objectKind: text("object_kind").notNull(),
    /** Text, not uuid: a territory's key is its code. */
    objectId: text("object_id").notNull(),
    /** The object's name at the time, so the trail reads without joins and survives renames. */
    objectLabel: text("object_label").notNull(),
    /** The fields that changed, before and after; a creation has no before, a removal no after. */
    before: jsonb("before").$type<Record<string, unknown>>(),
    after: jsonb("after").$type<Record<string, unknown>>(),
    requestId: text("request_id"),
    ip: inet("ip"),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at.desc(), t.id.desc()),
    index("audit_log_object_idx").on(t.objectKind, t.objectId, t.at.desc()),
    index("audit_log_actor_idx").on(t.actorUserId, t.at.desc()),
  ],
);

/** How a FINESS category (categetab, e.g. "500" EHPAD) maps to the service's categories; null: not kept. */
export const registryCategoryMappings = pgTable("registry_category_mappings", {
  finessCategory: text("finess_category").primaryKey(),
  /** The registry's label (libcategetab), remembered for the page. */
  label: text("label").notNull(),
  /** One of the domain's CATEGORIES, or null when the region does not follow this kind of structure. */
  category: text("category"),
  updatedAt: at("updated_at").notNull().defaultNow(),
  updatedByUserId: uuid("updated_by_user_id").references(() => users.id),
});

/**
 * Which territory of the region a place belongs to: a whole département ("974"), or one commune by its
 * INSEE code (département + commune, "97411") where a département is split between territories; the
 * commune wins. The départements named here are the region's: rows of other départements are not ours.
 */
export const registryTerritoryMappings = pgTable(
  "registry_territory_mappings",
  {
    kind: text("kind").$type<"departement" | "commune">().notNull(),
    code: text("code").notNull(),
    territory: text("territory")
      .notNull()
      .references(() => territories.code),
    updatedAt: at("updated_at").notNull().defaultNow(),
    updatedByUserId: uuid("updated_by_user_id").references(() => users.id),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.code] }),
    check("registry_territory_mappings_kind", sql`${t.kind} IN ('departement', 'commune')`),
  ],
);

/**
 * An uploaded registry file: parsed and compared at upload (the preview), applied later in one
 * transaction from its staged rows. Only the latest preview can be applied; applying twice is refused.
 */
export const registryImports = pgTable(
  "registry_imports",
  {
    id: id(),
    fileName: text("file_name").notNull(),
    format: text("format").$type<"finess" | "csv">().notNull(),
    /** SHA-256 of the file's bytes, hex: the same file uploaded twice is recognised. */
    sha256: text("sha256").notNull(),
    status: text("status").$type<"preview" | "applied" | "superseded">().notNull().default("preview"),
    /** Counts: records read, the region's, new, changed, unchanged, missing, refused, out of region. */
    summary: jsonb("summary").$type<Record<string, number>>().notNull().default({}),
    createdAt: createdAt(),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
    appliedAt: at("applied_at"),
    appliedByUserId: uuid("applied_by_user_id").references(() => users.id),
  },
  (t) => [index("registry_imports_created_idx").on(t.createdAt.desc())],
);

/** One line of a preview: what applying would do to one establishment, or why the line is refused. */
export const registryImportRows = pgTable(
  "registry_import_rows",
  {
    importId: uuid("import_id")
      .notNull()
      .references(() => registryImports.id, { onDelete: "cascade" }),
    /** Order in the preview (line order of the file, then the missing ones). */
    seq: integer("seq").notNull(),
    /** The file's line number, for refused and read rows; null for establishments missing from the file. */
    line: integer("line"),
    outcome: text("outcome").$type<"new" | "changed" | "unchanged" | "missing" | "refused">().notNull(),
    finess: text("finess"),
    establishmentId: uuid("establishment_id").references(() => establishments.id),
    /** The establishment as the file gives it, in the directory's fields. */
    data: jsonb("data").$type<Record<string, unknown>>(),
    /** Field by field, for a changed one: { field: { before, after } }. */
    changes: jsonb("changes").$type<Record<string, { before: unknown; after: unknown }>>(),
    /** Why a line is refused, in French. */
    reason: text("reason"),
  },
  (t) => [
    primaryKey({ columns: [t.importId, t.seq] }),
    index("registry_import_rows_outcome_idx").on(t.importId, t.outcome, t.seq),
  ],
);

/**
 * Vendors and products as the network declares them, one spelling each: an establishment's declared
 * product is picked from here or added here, so bulletin targeting matches every one of them.
 * `key` is the normalised vendor and product (lower case, without accents or repeated spaces).
 */
export const catalogProducts = pgTable(
  "catalog_products",
  {
    id: id(),
    kind: text("kind").notNull(),
    vendor: text("vendor").notNull(),
    /** Empty when the vendor alone is declared (an MSP, a hosting provider). */
    product: text("product").notNull().default(""),
    key: text("key").notNull(),
    createdAt: createdAt(),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
  },
  (t) => [uniqueIndex("catalog_products_key").on(t.key), index("catalog_products_vendor_idx").on(t.vendor)],
);

/**
 * A person invited by e-mail: the account is created when they accept, with the password they choose.
 * The link carries a token signed for this invitation and its send count (a re-sent invitation makes
 * the previous link useless); it is single-use and expires.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: id(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    role: text("role").notNull(),
    establishmentId: uuid("establishment_id").references(() => establishments.id),
    ghtId: uuid("ght_id").references(() => ghts.id),
    invitedByUserId: uuid("invited_by_user_id").references(() => users.id),
    createdAt: createdAt(),
    expiresAt: at("expires_at").notNull(),
    sendCount: integer("send_count").notNull().default(1),
    lastSentAt: at("last_sent_at").notNull().defaultNow(),
    acceptedAt: at("accepted_at"),
    cancelledAt: at("cancelled_at"),
    /** The account created on acceptance. */
    userId: uuid("user_id").references(() => users.id),
  },
  (t) => [
    // One invitation waiting per address.
    uniqueIndex("invitations_pending_email_key")
      .on(sql`lower(${t.email})`)
      .where(sql`${t.acceptedAt} IS NULL AND ${t.cancelledAt} IS NULL`),
    index("invitations_created_idx").on(t.createdAt.desc()),
  ],
);

/**
 * The pole's weekly on-call rota: who is on duty (reminded of service levels) and who is the backup
 * (alerted when one is missed), by slot of the week in the region's zone. Minutes from Monday 00:00
 * (0–10080); a slot may not cross Sunday midnight (two slots instead). Slots do not overlap (0018).
 */
export const onCallSlots = pgTable(
  "on_call_slots",
  {
    id: id(),
    startMinute: integer("start_minute").notNull(),
    endMinute: integer("end_minute").notNull(),
    primaryUserId: uuid("primary_user_id")
      .notNull()
      .references(() => users.id),
    backupUserId: uuid("backup_user_id").references(() => users.id),
    note: text("note"),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("on_call_slots_start_idx").on(t.startMinute),
    check(
      "on_call_slots_bounds",
      sql`${t.startMinute} >= 0 AND ${t.endMinute} <= 10080 AND ${t.startMinute} < ${t.endMinute}`,
    ),
    check(
      "on_call_slots_distinct",
      sql`${t.backupUserId} IS NULL OR ${t.backupUserId} <> ${t.primaryUserId}`,
    ),
  ],
);
