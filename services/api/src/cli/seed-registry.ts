import { type Db, registryTerritoryMappings } from "@pris/db";

/**
 * La Réunion's 24 communes (INSEE codes) by micro-region, the demo's four territories: a FINESS extract
 * imported into the demo finds the island's establishments their territory. The FINESS categories are
 * left to the administrator, whom the import page offers the usual choices.
 */
export const REUNION_COMMUNES: Record<string, string[]> = {
  nord: ["97411", "97418", "97420"],
  est: ["97402", "97406", "97409", "97410", "97419", "97421"],
  ouest: ["97407", "97408", "97413", "97415", "97423"],
  sud: ["97401", "97403", "97404", "97405", "97412", "97414", "97416", "97417", "97422", "97424"],
};

/** The demo's commune mappings, where missing; returns how many were added. */
export async function seedRegistryMappings(db: Db): Promise<number> {
  const added = await db
    .insert(registryTerritoryMappings)
    .values(
      Object.entries(REUNION_COMMUNES).flatMap(([territory, communes]) =>
        communes.map((code) => ({ kind: "commune" as const, code, territory })),
      ),
    )
    .onConflictDoNothing()
    .returning({ code: registryTerritoryMappings.code });
  return added.length;
}
