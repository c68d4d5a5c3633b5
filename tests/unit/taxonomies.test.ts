import {
  CATEGORIES,
  IncidentDeclarationSchema,
  isFiness,
  isRsitPair,
  normalizeDeclaration,
  normalizeObservable,
  RSIT_CLASSES,
  RSIT_TYPE_VALUES,
  TLP_LABELS,
  tlpAllowsContentByEmail,
} from "@pris/domain";
import { Value } from "typebox/value";
import { describe, expect, test } from "vitest";

describe("RSIT, the current working copy, complete", () => {
  test("every class with every type", () => {
    const table = Object.fromEntries(RSIT_CLASSES.map((c) => [c.value, c.types.map((t) => t.value)]));
    expect(table).toEqual({
      "abusive-content": ["spam", "harmful-speech", "violence"],
      "malicious-code": ["infected-system", "c2-server", "malware-distribution", "malware-configuration"],
      "information-gathering": ["scanner", "sniffing", "social-engineering"],
      "intrusion-attempts": ["ids-alert", "brute-force", "exploit"],
      intrusions: [
        "privileged-account-compromise",
        "unprivileged-account-compromise",
        "application-compromise",
        "system-compromise",
        "burglary",
      ],
      availability: ["dos", "ddos", "misconfiguration", "sabotage", "outage"],
      "information-content-security": [
        "unauthorised-information-access",
        "unauthorised-information-modification",
        "data-loss",
        "data-leak",
      ],
      fraud: ["unauthorized-use-of-resources", "copyright", "masquerade", "phishing"],
      vulnerable: [
        "weak-crypto",
        "ddos-amplifier",
        "potentially-unwanted-accessible",
        "information-disclosure",
        "vulnerable-system",
      ],
      other: ["other", "undetermined"],
      test: ["test"],
    });
  });
  test("types are unique, each has French wording, and undetermined is allowed at intake", () => {
    expect(new Set(RSIT_TYPE_VALUES).size).toBe(
      RSIT_CLASSES.flatMap((c): readonly { value: string }[] => c.types).length,
    );
    for (const c of RSIT_CLASSES) for (const t of c.types) expect(t.plain.length).toBeGreaterThan(5);
    expect(isRsitPair("other", "undetermined")).toBe(true);
    expect(isRsitPair("fraud", "infected-system")).toBe(false);
  });
});

describe("TLP 2.0", () => {
  test("five labels; AMBER+STRICT and RED content never travels by e-mail", () => {
    expect(TLP_LABELS).toEqual(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]);
    expect(TLP_LABELS.filter(tlpAllowsContentByEmail)).toEqual(["CLEAR", "GREEN", "AMBER"]);
  });
});

describe("FINESS", () => {
  test.each(["970462107", "130783236", "2A0000123", "2B0000456", "750712184"])("%s is accepted", (f) =>
    expect(isFiness(f)).toBe(true),
  );
  test.each(["12345", "00A000000", "9604621070", "96046210X", "2C0000123"])("%s is refused", (f) =>
    expect(isFiness(f)).toBe(false),
  );
  test("every category belongs to ES, ESMS or other", () => {
    for (const c of Object.values(CATEGORIES)) expect(["es", "esms", "other"]).toContain(c.sector);
  });
});

describe("observables are normalised for matching", () => {
  test.each([
    ["ipv4", " 185.220.101.7 ", "185.220.101.7"],
    ["ipv6", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["cidr", "10.0.0.0/8", "10.0.0.0/8"],
    ["cidr", "2001:db8::/32", "2001:db8::/32"],
    ["domain", "Evil[.]Example.COM.", "evil.example.com"],
    ["url", "hxxps://evil[.]example.com/a?b=1", "https://evil.example.com/a?b=1"],
    ["email", "Phisher[@]Example.org", "phisher@example.org"],
    ["md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"],
    ["sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
    [
      "sha256",
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ],
    ["filename", "facture.pdf.exe", "facture.pdf.exe"],
    ["cve", "cve-2024-3400", "CVE-2024-3400"],
  ] as const)("%s %s", (type, raw, normalized) => {
    expect(normalizeObservable(type, raw)).toEqual({ value: normalized });
  });
  test.each([
    ["ipv4", "999.1.1.1"],
    ["ipv4", "10.1"],
    ["ipv4", "::1"],
    ["ipv6", "1.2.3.4"],
    ["cidr", "10.0.0.0/33"],
    ["domain", "not a domain"],
    ["url", "javascript:alert(1)"],
    ["md5", "xyz"],
    ["cve", "CVE-24-1"],
  ] as const)("%s %s is refused with a reason", (type, raw) => {
    expect(normalizeObservable(type, raw)).toEqual({ error: expect.any(String) });
  });
});

describe("a declaration", () => {
  const valid = {
    declarant: { name: "Rita", phone: "0692 12 34 56" },
    detectedAt: "2026-05-01T01:00:00Z",
    ongoing: true,
    title: "Rançongiciel",
    description: "Écran de rançon",
    rsitClass: "other",
    rsitType: "undetermined",
    impactGrade: 1,
  };
  test("the schema the API, the worker and the web form share accepts the minimum and refuses unknown fields", () => {
    expect(Value.Check(IncidentDeclarationSchema, valid)).toBe(true);
    expect(Value.Check(IncidentDeclarationSchema, { ...valid, extra: 1 })).toBe(false);
  });
  test("the normalised form makes every default explicit and drops duplicate observables", () => {
    const result = normalizeDeclaration(
      {
        ...valid,
        observables: [
          { type: "domain", value: "evil.example.com" },
          { type: "domain", value: "EVIL[.]example.com" },
        ],
      } as never,
      new Date("2026-05-01T02:00:00Z"),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      tlp: "AMBER",
      spread: "unknown",
      suspectedMalicious: "unknown",
      personalData: { breach: "unknown", approxPeople: null },
      support: { requested: false, details: null },
      nationalPortal: { declared: false, reference: null, declaredAt: null },
      complaintFiled: false,
      affectedServices: [],
    });
    expect(result.value.observables).toHaveLength(1);
  });
});
