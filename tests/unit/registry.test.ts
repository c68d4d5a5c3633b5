import {
  buildMappings,
  csvColumns,
  csvRecord,
  type DirectoryRegistryFields,
  departementOfCommune,
  FINESS_STRUCTURE_FIELDS,
  finessRecord,
  inseeCommune,
  isGarbled,
  judgeRecord,
  registryChanges,
} from "@pris/domain";
import { describe, expect, test } from "vitest";

const mappings = buildMappings(
  [
    { finessCategory: "355", category: "ch" },
    { finessCategory: "620", category: null },
  ],
  [
    { kind: "commune", code: "97416", territory: "sud" },
    { kind: "departement", code: "13", territory: "bdr" },
  ],
  ["sud", "bdr", "nord"],
);

function structure(overrides: Partial<Record<(typeof FINESS_STRUCTURE_FIELDS)[number], string>>): string[] {
  const base: Record<string, string> = {
    section: "structureet",
    nofinesset: "970462107",
    nofinessej: "970000016",
    rs: "CH SUD",
    rslongue: "Centre hospitalier Sud",
    commune: "416",
    departement: "974",
    ligneacheminement: "97410 ST PIERRE",
    categetab: "355",
    libcategetab: "Centre Hospitalier (C.H.)",
    dateouv: "1976-01-01",
    maj: "2026-06-01",
  };
  return FINESS_STRUCTURE_FIELDS.map((f) => overrides[f] ?? base[f] ?? "");
}

describe("the registry's places", () => {
  test("INSEE codes from the extract's département and commune number, and back", () => {
    expect(inseeCommune("974", "416")).toBe("97416");
    expect(inseeCommune("13", "055")).toBe("13055");
    expect(inseeCommune("2A", "004")).toBe("2A004");
    expect(inseeCommune("974", "97416")).toBe("97416");
    expect(inseeCommune("974", "")).toBeUndefined();
    expect(departementOfCommune("97416")).toBe("974");
    expect(departementOfCommune("2B033")).toBe("2B");
    expect([...mappings.regionDepartements].sort()).toEqual(["13", "974"]);
  });
});

describe("a line judged against the mappings", () => {
  test("a region's line becomes an establishment in the directory's words", () => {
    expect(judgeRecord(finessRecord(structure({})), mappings, "finess")).toEqual({
      kind: "accepted",
      fields: {
        finess: "970462107",
        name: "Centre hospitalier Sud",
        category: "ch",
        territory: "sud",
        legalEntityFiness: "970000016",
        finessCategory: "355",
        siret: null,
        phone: null,
        registryUpdatedOn: "2026-06-01",
        activeFrom: "1976-01-01",
        address: { lines: [], commune: "97416", postalLine: "97410 ST PIERRE" },
      },
    });
  });

  test("other départements are out of region before anything else is checked", () => {
    const verdict = judgeRecord(
      finessRecord(structure({ departement: "75", nofinesset: "bad" })),
      mappings,
      "finess",
    );
    expect(verdict).toEqual({ kind: "out_of_region" });
  });

  test("a département mapping serves its communes; a category mapped to null is not followed", () => {
    const marseille = judgeRecord(
      finessRecord(structure({ departement: "13", commune: "055", nofinesset: "130000276" })),
      mappings,
      "finess",
    );
    expect(marseille).toMatchObject({ kind: "accepted", fields: { territory: "bdr" } });
    expect(judgeRecord(finessRecord(structure({ categetab: "620" })), mappings, "finess")).toEqual({
      kind: "not_followed",
      finess: "970462107",
    });
  });

  test("refusals carry a problem code and a French reason", () => {
    const cases: [Parameters<typeof structure>[0], string, RegExp][] = [
      [{ nofinesset: "97046210" }, "finess", /^Numéro FINESS « 97046210 » invalide/],
      [{ rs: "", rslongue: "" }, "name", /^Raison sociale absente/],
      [
        { categetab: "999", libcategetab: "Inconnue" },
        "unmapped_category",
        /^Catégorie FINESS 999 « Inconnue »/,
      ],
      [{ commune: "424" }, "unmapped_place", /^Commune 97424 \(97410 ST PIERRE\) non rattachée/],
      [{ rslongue: "RÃ©sidence" }, "encoding", /^Caractères illisibles/],
    ];
    for (const [overrides, problem, reason] of cases) {
      const verdict = judgeRecord(finessRecord(structure(overrides)), mappings, "finess");
      expect(verdict.kind).toBe("refused");
      if (verdict.kind !== "refused") continue;
      expect(verdict.data.problem).toBe(problem);
      expect(verdict.reason).toMatch(reason);
    }
  });

  test("garbled text: UTF-8 read as Windows-1252, or bytes the encoding does not hold", () => {
    for (const text of ["RÃ©sidence", "Ã‰tablissement", "CÅ“ur", "Caf\uFFFD"])
      expect(isGarbled(text)).toBe(true);
    for (const text of ["Résidence", "Établissement", "Cœur", "Ça va – très « bien »"]) {
      expect(isGarbled(text)).toBe(false);
    }
  });

  test("a hand-made CSV: columns by name, a territory named directly, a column left out left alone", () => {
    const read = csvColumns(["FINESS", "Name", "Category", "Territory", "Phone"]);
    if ("error" in read) throw new Error(read.error);
    const verdict = judgeRecord(
      csvRecord(read.columns, ["970400800", "MAS Les Alizés", "disability_adults", "nord", "0262 50 60 70"]),
      mappings,
      "csv",
    );
    expect(verdict).toEqual({
      kind: "accepted",
      fields: {
        finess: "970400800",
        name: "MAS Les Alizés",
        category: "disability_adults",
        territory: "nord",
        phone: "0262 50 60 70",
      },
    });
    expect(csvColumns(["nom", "code"])).toEqual({ error: expect.stringContaining("finess and name") });
  });
});

describe("comparing with the directory", () => {
  const current: DirectoryRegistryFields = {
    name: "Centre hospitalier Sud",
    category: "ch",
    territory: "sud",
    legalEntityFiness: "970000016",
    finessCategory: "355",
    address: { postalLine: "97410 ST PIERRE", commune: "97416", lines: [] },
    phone: null,
    siret: null,
    registryUpdatedOn: "2026-06-01",
    activeFrom: "1970-01-01",
    active: true,
  };

  test("same values in another key order are no change; the opening day is never moved", () => {
    const verdict = judgeRecord(finessRecord(structure({})), mappings, "finess");
    if (verdict.kind !== "accepted") throw new Error("not accepted");
    expect(registryChanges(current, verdict.fields)).toEqual({});
  });

  test("a change field by field, and an establishment back in the registry made active", () => {
    const changes = registryChanges(
      { ...current, active: false, activeFrom: null },
      { finess: "970462107", name: "CH Sud", category: "ch", territory: "sud", activeFrom: "1976-01-01" },
    );
    expect(changes).toEqual({
      name: { before: "Centre hospitalier Sud", after: "CH Sud" },
      activeFrom: { before: null, after: "1976-01-01" },
      active: { before: false, after: true },
    });
  });
});
