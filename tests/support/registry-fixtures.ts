import { readFileSync } from "node:fs";
import type { App } from "@pris/api";
import { type Db, registryCategoryMappings, registryTerritoryMappings } from "@pris/db";
import { createTerritory } from "./fixtures.ts";

export const FINESS_FIXTURES = new URL("../fixtures/finess/", import.meta.url);

export function finessFixture(name: string): Buffer {
  return readFileSync(new URL(name, FINESS_FIXTURES));
}

/** A multipart/form-data body holding one file, as a browser's FormData sends it. */
export function multipartFile(content: Buffer, fileName = "extract.csv", field = "file", type = "text/csv") {
  const boundary = `----pris${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

export async function uploadRegistryFile(
  app: App,
  headers: Record<string, string>,
  content: Buffer,
  fileName = "extract.csv",
) {
  const body = multipartFile(content, fileName);
  return app.inject({
    method: "POST",
    url: "/api/v1/registry/imports",
    headers: { ...headers, ...body.headers },
    payload: body.payload,
  });
}

/** La Réunion's four territories and the mappings the fixtures expect (Cilaos and category 124 left out). */
export const FIXTURE_COMMUNES: Record<string, string> = {
  "97411": "nord",
  "97418": "nord",
  "97409": "est",
  "97407": "ouest",
  "97415": "ouest",
  "97403": "sud",
  "97416": "sud",
  "97422": "sud",
};
export const FIXTURE_CATEGORIES: [string, string, string | null][] = [
  ["355", "Centre Hospitalier (C.H.)", "ch"],
  ["101", "Centre Hospitalier Régional (C.H.R.)", "chu"],
  ["500", "Etablissement d'hébergement pour personnes âgées dépendantes", "ehpad"],
  ["365", "Etablissement de Soins Pluridisciplinaire", "private_clinic"],
  ["292", "Centre Hospitalier Spécialisé lutte Maladies Mentales", "psychiatric"],
  ["183", "Institut Médico-Educatif (I.M.E.)", "disability_children"],
  ["620", "Pharmacie d'Officine", null],
];

/** The same mappings straight into the database, for tests that are not about them. */
export async function seedRegistryMappings(db: Db) {
  for (const [code, name] of [
    ["nord", "Nord"],
    ["est", "Est"],
    ["ouest", "Ouest"],
    ["sud", "Sud"],
  ] as const) {
    await createTerritory(db, code, name);
  }
  await db
    .insert(registryTerritoryMappings)
    .values(
      Object.entries(FIXTURE_COMMUNES).map(([code, territory]) => ({
        kind: "commune" as const,
        code,
        territory,
      })),
    )
    .onConflictDoNothing();
  await db
    .insert(registryCategoryMappings)
    .values(
      FIXTURE_CATEGORIES.map(([finessCategory, label, category]) => ({ finessCategory, label, category })),
    )
    .onConflictDoNothing();
}
