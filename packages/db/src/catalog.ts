import { catalogKey } from "@pris/domain";
import { inArray } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { catalogProducts } from "./schema-admin.ts";

type DeclaredProduct = { kind: string; vendor: string; product?: string };

/**
 * Declared products in the catalog's spelling: a product some establishment already declared (same key,
 * whatever its accents, case or punctuation) takes that spelling; a new one enters the catalog as given.
 * Duplicates within the list collapse to one.
 */
export async function canonicalProducts<P extends DeclaredProduct>(
  tx: Tx,
  products: readonly P[],
  createdByUserId: string | null,
): Promise<P[]> {
  if (products.length === 0) return [];
  const keyed = products.map((p) => ({ p, key: catalogKey(p.vendor, p.product ?? "") }));
  const keys = [...new Set(keyed.map((k) => k.key))];
  await tx
    .insert(catalogProducts)
    .values(
      keys.map((key) => {
        const { p } = keyed.find((k) => k.key === key)!;
        return {
          key,
          kind: p.kind,
          vendor: p.vendor.trim(),
          product: (p.product ?? "").trim(),
          createdByUserId,
        };
      }),
    )
    .onConflictDoNothing({ target: catalogProducts.key });
  const rows = await tx.select().from(catalogProducts).where(inArray(catalogProducts.key, keys));
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const seen = new Set<string>();
  const result: P[] = [];
  for (const { p, key } of keyed) {
    if (seen.has(key)) continue;
    seen.add(key);
    const row = byKey.get(key)!;
    const { product: _given, ...rest } = p;
    result.push({ ...rest, vendor: row.vendor, ...(row.product ? { product: row.product } : {}) } as P);
  }
  return result;
}
