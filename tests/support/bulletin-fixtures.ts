import { type Db, establishments, territories } from "@pris/db";
import { sql } from "drizzle-orm";

/**
 * Many establishments at once, in SQL: each with an RSSI contact and a functional mailbox at its own
 * addresses (two recipients each), in the given territory.
 */
export async function seedNetwork(
  db: Db,
  options: { count: number; territory: string; prefix: string; category?: string; finessStart?: number },
): Promise<void> {
  await db
    .insert(territories)
    .values({ code: options.territory, name: options.territory })
    .onConflictDoNothing();
  await db.execute(sql`
    INSERT INTO ${establishments} (id, finess, name, category, sector, territory, contacts)
    SELECT gen_random_uuid(),
      '97' || lpad((${options.finessStart ?? 0} + i)::text, 7, '0'),
      ${options.prefix} || ' ' || i, ${options.category ?? "ehpad"}, 'esms', ${options.territory},
      jsonb_build_object(
        'rssi', jsonb_build_object('name', 'RSSI ' || i, 'email', 'rssi' || i || '@' || ${options.prefix} || '.test'),
        'functionalMailbox', 'ssi' || i || '@' || ${options.prefix} || '.test')
    FROM generate_series(1, ${options.count}) AS i
  `);
}

export function bulletinDraft(overrides: Record<string, unknown> = {}) {
  return {
    kind: "alerte",
    tlp: "GREEN",
    audience: { territories: ["nord"] },
    title: "Campagne d'hameçonnage visant les établissements",
    summary: "Des courriels imitant l'ARS invitent à saisir ses identifiants sur un faux portail.",
    risks: ["Vol d'identifiants", "Compromission de messagerie"],
    affectedSystems: "Messageries des établissements",
    products: [],
    recommendations: "Bloquer le domaine ci-dessous et sensibiliser les agents.",
    cves: [],
    links: [],
    observables: [{ type: "domain", value: "ars-reunion-portail.example" }],
    severity: "high",
    ...overrides,
  };
}
