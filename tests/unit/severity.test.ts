import { IMPACT_GRADES, type ImpactGrade, SPREADS, suggestSeverity } from "@pris/domain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const base = { spread: "single_site", personalDataBreach: "no", ongoing: false } as const;

describe("suggested severity", () => {
  test.each([
    [0, "P4"],
    [1, "P4"],
    [2, "P3"],
    [3, "P2"],
    [4, "P1"],
    [5, "P1"],
  ] as const)("grade %i alone gives %s", (grade, severity) => {
    expect(suggestSeverity({ ...base, impactGrade: grade }).severity).toBe(severity);
  });

  test("contagion to other establishments raises one level", () => {
    expect(suggestSeverity({ ...base, impactGrade: 2, spread: "other_establishments" }).severity).toBe("P2");
  });

  test("an attack still spreading over several sites raises one level; over at one site it does not", () => {
    expect(
      suggestSeverity({ ...base, impactGrade: 3, spread: "multiple_sites", ongoing: true }).severity,
    ).toBe("P1");
    expect(
      suggestSeverity({ ...base, impactGrade: 3, spread: "multiple_sites", ongoing: false }).severity,
    ).toBe("P2");
    expect(suggestSeverity({ ...base, impactGrade: 3, spread: "single_site", ongoing: true }).severity).toBe(
      "P2",
    );
  });

  test("a personal-data breach is at least P3", () => {
    const s = suggestSeverity({ ...base, impactGrade: 0, personalDataBreach: "yes" });
    expect(s.severity).toBe("P3");
    expect(s.reasons).toContain("Violation de données personnelles");
    expect(suggestSeverity({ ...base, impactGrade: 4, personalDataBreach: "yes" }).severity).toBe("P1");
  });

  test("never above P1, never below P4, and worse facts never lower it", () => {
    const input = fc.record({
      impactGrade: fc.constantFrom(...IMPACT_GRADES),
      spread: fc.constantFrom(...SPREADS),
      personalDataBreach: fc.constantFrom("yes", "no", "unknown" as const),
      ongoing: fc.boolean(),
    });
    fc.assert(
      fc.property(input, (i) => {
        const level = Number(suggestSeverity(i).severity.slice(1));
        expect(level).toBeGreaterThanOrEqual(1);
        expect(level).toBeLessThanOrEqual(4);
        if (i.impactGrade < 5) {
          const worse = Number(
            suggestSeverity({ ...i, impactGrade: (i.impactGrade + 1) as ImpactGrade }).severity.slice(1),
          );
          expect(worse).toBeLessThanOrEqual(level);
        }
        expect(
          Number(suggestSeverity({ ...i, personalDataBreach: "yes" }).severity.slice(1)),
        ).toBeLessThanOrEqual(level);
        expect(suggestSeverity(i).reasons.length).toBeGreaterThan(0);
      }),
    );
  });
});
