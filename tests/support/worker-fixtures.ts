import { randomBytes } from "node:crypto";
import { type Db, establishments, incidents, outbox, outboxValues, territories, users } from "@pris/db";
import { incidentMessage, type Role, type Severity, type Tlp } from "@pris/domain";

/** A small region for worker tests: one establishment, its RSSI, and the pole's people. */
export interface Directory {
  establishmentId: string;
  establishmentName: string;
  rssiId: string;
  /** Active users by role, the ones e-mails should reach. */
  users: Record<Exclude<Role, "rssi">, { id: string; email: string }[]>;
  inactiveAnalystEmail: string;
}

function tag(): string {
  return randomBytes(3).toString("hex");
}

export async function seedDirectory(db: Db, establishmentName = "CH Sud Réunion"): Promise<Directory> {
  const t = tag();
  await db
    .insert(territories)
    .values({ code: `sud-${t}`, name: "Sud" })
    .onConflictDoNothing();
  const [est] = await db
    .insert(establishments)
    .values({
      finess: `974${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`,
      name: establishmentName,
      category: "ch",
      sector: "es",
      territory: `sud-${t}`,
    })
    .returning({ id: establishments.id });
  const user = async (role: Role, name: string, active = true) => {
    const email = `${name}.${t}@pris.test`;
    const [row] = await db
      .insert(users)
      .values({
        email,
        displayName: name,
        role,
        establishmentId: role === "rssi" ? est!.id : null,
        passwordHash: "not-a-real-hash",
        active,
      })
      .returning({ id: users.id });
    return { id: row!.id, email };
  };
  const rssi = await user("rssi", "rssi");
  const analysts = [await user("analyst", "analyste1"), await user("analyst", "analyste2")];
  const inactive = await user("analyst", "analyste-parti", false);
  return {
    establishmentId: est!.id,
    establishmentName,
    rssiId: rssi.id,
    users: {
      analyst: analysts,
      taskforce: [await user("taskforce", "taskforce")],
      ars: [await user("ars", "ars")],
      admin: [await user("admin", "admin")],
    },
    inactiveAnalystEmail: inactive.email,
  };
}

export interface DeclaredIncident {
  incidentId: string;
  outboxId: string;
  reference: string;
}

export interface IncidentOverrides {
  severity?: Severity;
  tlp?: Tlp;
  impactGrade?: number;
  title?: string;
  description?: string;
  declaredAt?: Date;
  /** The service level's deadline, committed with the declaration (the worker plans its timers at once). */
  ackDueAt?: Date;
}

/**
 * What the API's declaration transaction commits, as far as the worker reads it: the incident
 * and its `incident.declared` outbox row, together.
 */
export async function declareIncident(
  db: Db,
  dir: Directory,
  overrides: IncidentOverrides = {},
): Promise<DeclaredIncident> {
  const reference = `REU-2026-${randomBytes(3).toString("hex").toUpperCase()}`;
  const severity = overrides.severity ?? "P3";
  return db.transaction(async (tx) => {
    const [incident] = await tx
      .insert(incidents)
      .values({
        reference,
        establishmentId: dir.establishmentId,
        severity,
        severitySuggested: severity,
        severityReasons: ["test"],
        tlp: overrides.tlp ?? "AMBER",
        title: overrides.title ?? "Rançongiciel sur le DPI",
        description: overrides.description ?? "Description confidentielle : serveur SRV-DPI-01 chiffré",
        declarant: { name: "Jeanne Payet", phone: "+262 692 00 00 00" },
        detectedAt: new Date(Date.now() - 3600_000),
        ongoing: true,
        rsitClass: "malicious-code",
        rsitType: "ransomware",
        suspectedMalicious: "yes",
        affectedServices: ["dpi"],
        impactGrade: overrides.impactGrade ?? 2,
        spread: "single_site",
        personalDataBreach: "unknown",
        supportRequested: true,
        nationalPortalDeclared: false,
        complaintFiled: false,
        declaredByUserId: dir.rssiId,
        ...(overrides.declaredAt ? { declaredAt: overrides.declaredAt } : {}),
        ...(overrides.ackDueAt ? { ackDueAt: overrides.ackDueAt } : {}),
      })
      .returning({ id: incidents.id });
    const [row] = await tx
      .insert(outbox)
      .values(outboxValues(incidentMessage("incident.declared", incident!.id)))
      .returning({ id: outbox.id });
    return { incidentId: incident!.id, outboxId: row!.id, reference };
  });
}

/** Polls until check returns a value other than undefined/false, or fails with what it waited for. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
