import {
  appendLogEntry,
  type Db,
  establishments,
  incidentObservables,
  incidents,
  type Product,
} from "@pris/db";
import {
  type FieldError,
  normalizeObservable,
  type ObservableList,
  type ObservablesAdd,
  type ObservableType,
  type StixBundle,
  type Tlp,
} from "@pris/domain";
import { and, asc, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Principal } from "../../auth/principal.ts";
import { ForbiddenError, NotFoundError, ValidationError } from "../../errors.ts";
import { incidentChanged, lockIncident } from "../clocks/clock-service.ts";
import { incidentScope } from "../incidents/incident-service.ts";
import { stixBundle } from "./stix.ts";

type ObservableRow = typeof incidentObservables.$inferSelect;

const toItem = (o: ObservableRow) => ({
  id: o.id,
  type: o.type as ObservableType,
  value: o.value,
  normalized: o.normalized,
  comment: o.comment,
  createdAt: o.createdAt.toISOString(),
});

/** The pole and the establishment itself add observables; the task force and the ARS read. */
function mayAdd(principal: Principal): boolean {
  return principal.role === "analyst" || principal.role === "rssi" || principal.role === "api_key";
}

/** Normalised, deduplicated against the incident's own observables; one log entry and incident.changed. */
export async function addObservables(
  db: Db,
  principal: Principal,
  incidentId: string,
  input: ObservablesAdd,
) {
  if (!mayAdd(principal)) throw new ForbiddenError("Your role does not add observables");
  const errors: FieldError[] = [];
  const normalized = input.observables.map((o, i) => {
    const result = normalizeObservable(o.type, o.value);
    if ("error" in result) {
      errors.push({ field: `/observables/${i}/value`, message: result.error });
      return undefined;
    }
    return { ...o, normalized: result.value };
  });
  if (errors.length > 0) throw new ValidationError(errors);

  const now = new Date();
  return db.transaction(async (tx) => {
    const incident = await lockIncident(tx, principal, incidentId);
    const existing = await tx
      .select({ type: incidentObservables.type, normalized: incidentObservables.normalized })
      .from(incidentObservables)
      .where(eq(incidentObservables.incidentId, incidentId));
    const seen = new Set(existing.map((o) => `${o.type}\n${o.normalized}`));
    const fresh: (typeof incidentObservables.$inferInsert)[] = [];
    for (const o of normalized) {
      const key = `${o!.type}\n${o!.normalized}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fresh.push({
        id: uuidv7(),
        incidentId,
        type: o!.type,
        value: o!.value,
        normalized: o!.normalized,
        comment: o!.comment ?? null,
        createdAt: now,
      });
    }
    const added = fresh.length > 0 ? await tx.insert(incidentObservables).values(fresh).returning() : [];
    if (added.length > 0) {
      await appendLogEntry(tx, {
        incidentId,
        kind: "observables_added",
        visibility: "shared",
        body: {
          observables: added.map((o) => ({ type: o.type, normalized: o.normalized })),
          by: principal.kind === "user" ? principal.displayName : principal.name,
        },
        at: now,
        ...(principal.kind === "user" ? { actorUserId: principal.id } : { actorApiKeyId: principal.id }),
      });
      await incidentChanged(tx, incident, now);
    }
    return { added: added.map(toItem), duplicates: input.observables.length - added.length };
  });
}

async function visibleIncident(db: Db, principal: Principal, incidentId: string) {
  const [incident] = await db
    .select({
      id: incidents.id,
      reference: incidents.reference,
      establishmentId: incidents.establishmentId,
      tlp: incidents.tlp,
      detectedAt: incidents.detectedAt,
    })
    .from(incidents)
    .where(and(eq(incidents.id, incidentId), incidentScope(principal)));
  if (!incident) throw new NotFoundError("Incident");
  return incident;
}

const IP_TYPES = sql`('ipv4', 'ipv6', 'cidr')`;

/**
 * Other incidents of the region sharing an observable: the same type and normalised value (through the
 * (type, normalized) index), or for addresses and ranges an overlap (PostgreSQL inet: `&&`, one contains
 * the other), through the GiST index on normalized::inet (migration 0012). Merged duplicates and rejected
 * declarations are not incidents and do not count.
 */
async function incidentMatches(db: Db, incidentId: string) {
  const { rows } = await db.execute<{
    observable_id: string;
    reference: string;
    establishment_id: string;
    establishment: string;
    how: "same" | "network";
  }>(sql`
    WITH mine AS (
      SELECT id, type, normalized FROM incident_observables WHERE incident_id = ${incidentId}
    ),
    mine_net AS MATERIALIZED (
      SELECT id, type, normalized::inet AS net FROM mine WHERE type IN ${IP_TYPES}
    ),
    hits AS (
      SELECT mine.id AS observable_id, m.incident_id, 'same' AS how
      FROM mine JOIN incident_observables m
        ON m.type = mine.type AND m.normalized = mine.normalized AND m.incident_id <> ${incidentId}
      UNION
      -- Overlapping networks (an address in a range, a range in a range or around an address), through the
      -- GiST index on normalized::inet; two single addresses overlap only when equal, matched above.
      SELECT mine_net.id, o.incident_id, 'network'
      FROM mine_net JOIN incident_observables o
        ON o.type IN ${IP_TYPES} AND (o.normalized::inet) && mine_net.net
      WHERE o.incident_id <> ${incidentId} AND (mine_net.type = 'cidr' OR o.type = 'cidr')
    )
    SELECT DISTINCT ON (hits.observable_id, i.id)
      hits.observable_id, i.reference, i.establishment_id, e.name AS establishment, hits.how
    FROM hits
    JOIN incidents i ON i.id = hits.incident_id AND i.status NOT IN ('merged', 'rejected')
    JOIN establishments e ON e.id = i.establishment_id
    ORDER BY hits.observable_id, i.id, hits.how DESC
  `);
  return rows;
}

const slug = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");

/** The host an observable names, if any: a domain, a URL's host, an e-mail's domain. */
function hostOf(type: string, normalized: string): string | undefined {
  if (type === "domain") return normalized;
  if (type === "email") return normalized.slice(normalized.lastIndexOf("@") + 1);
  if (type === "url") {
    try {
      const host = new URL(normalized).hostname;
      return /^[\d.]+$|^\[/.test(host) ? undefined : host;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Names a declared product or supplier answers to, reduced to letters and digits: the vendor's whole name
 * (at least four characters), and the product's name and the vendor's first word when they have at least
 * five ("Softway Medical" → softwaymedical, softway). Shorter names would match too much by chance.
 */
function productNames(p: Product): string[] {
  const names = [slug(p.vendor), p.product ? slug(p.product) : "", slug(p.vendor.split(/\s+/)[0] ?? "")];
  return [...new Set(names.filter((n) => n.length >= 5 || (n.length >= 4 && n === slug(p.vendor))))];
}

/**
 * A domain, URL or e-mail observable matches a declared product when one of the labels of its host but
 * the top-level one, reduced to letters and digits, is one of the product's names: update.softway-medical.fr
 * matches the vendor "Softway Medical"; mail.fortinet.com matches "Fortinet".
 */
export function productMatches(
  observable: { type: string; normalized: string },
  declared: { name: string; products: Product[] }[],
) {
  const host = hostOf(observable.type, observable.normalized);
  if (!host) return [];
  const labels = new Set(host.split(".").slice(0, -1).map(slug));
  return declared.flatMap((e) =>
    e.products
      .filter((p) => productNames(p).some((n) => labels.has(n)))
      .map((p) => ({ establishment: e.name, kind: p.kind, vendor: p.vendor, product: p.product ?? null })),
  );
}

/**
 * The incident's observables. The pole sees every match ("also in REU-2026-0007 (CH Ouest)", declared
 * products); everyone else in scope learns only whether another establishment's incident has it too.
 */
export async function listObservables(
  db: Db,
  principal: Principal,
  incidentId: string,
): Promise<ObservableList> {
  const incident = await visibleIncident(db, principal, incidentId);
  const [observables, matches] = await Promise.all([
    db
      .select()
      .from(incidentObservables)
      .where(eq(incidentObservables.incidentId, incidentId))
      .orderBy(asc(incidentObservables.createdAt), asc(incidentObservables.id)),
    incidentMatches(db, incidentId),
  ]);
  const elsewhere = new Set(
    matches.filter((m) => m.establishment_id !== incident.establishmentId).map((m) => m.observable_id),
  );
  if (principal.role !== "analyst") {
    return { items: observables.map((o) => ({ ...toItem(o), seenElsewhere: elsewhere.has(o.id) })) };
  }
  const withHosts = observables.some((o) => hostOf(o.type, o.normalized));
  const declared = withHosts
    ? await db
        .select({ name: establishments.name, products: establishments.products })
        .from(establishments)
        .where(and(eq(establishments.active, true), sql`jsonb_array_length(${establishments.products}) > 0`))
        .orderBy(asc(establishments.name))
    : [];
  return {
    items: observables.map((o) => ({
      ...toItem(o),
      seenElsewhere: elsewhere.has(o.id),
      matches: {
        incidents: matches
          .filter((m) => m.observable_id === o.id)
          .sort((a, b) => a.reference.localeCompare(b.reference))
          .map((m) => ({ reference: m.reference, establishment: m.establishment, how: m.how })),
        products: productMatches(o, declared),
      },
    })),
  };
}

/**
 * The STIX 2.1 bundle of an incident's observables, marked with its TLP. What was declared TLP:RED
 * goes only to the pole and to the declaring establishment (the only one in scope besides the pole).
 */
export async function exportStix(
  db: Db,
  principal: Principal,
  incidentId: string,
  regionName: string,
): Promise<StixBundle> {
  const incident = await visibleIncident(db, principal, incidentId);
  const tlp = incident.tlp as Tlp;
  if (tlp === "RED" && !mayAdd(principal)) {
    throw new ForbiddenError(
      "TLP:RED observables are exported only to the pole and the declaring establishment",
    );
  }
  const observables = await db
    .select()
    .from(incidentObservables)
    .where(eq(incidentObservables.incidentId, incidentId))
    .orderBy(asc(incidentObservables.createdAt), asc(incidentObservables.id));
  return stixBundle({
    incident: { id: incident.id, reference: incident.reference, tlp, detectedAt: incident.detectedAt },
    observables: observables.map((o) => ({
      type: o.type as ObservableType,
      normalized: o.normalized,
      createdAt: o.createdAt,
    })),
    regionName,
  });
}
