import {
  AFFECTED_SERVICES,
  CATEGORY_VALUES,
  IMPACT_GRADES,
  type ImpactGrade,
  RSIT_CLASSES,
  type Severity,
  type SeverityInput,
  SPREADS,
  suggestSeverity,
} from "@pris/domain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

/** An incident nobody would worry about: the fields each case below changes are the facts that matter. */
const base: SeverityInput = {
  impactGrade: 0,
  spread: "single_site",
  personalDataBreach: "no",
  ongoing: false,
  rsitClass: "other",
  rsitType: "other",
  suspectedMalicious: "unknown",
  affectedServices: [],
  category: "ch",
};

const level = (s: Severity) => Number(s.slice(1));

/**
 * Declarations as the people of DOMAIN.md would send them at 3 a.m., with the RSIT class and type they
 * would pick from the form's plain wording, and the severity the regional pole would want to see first.
 * P1 = major incident, task force mobilised; P2 = grave, the pole acts at once; P3 = significant,
 * followed the same day; P4 = minor.
 */
const DECLARATIONS: { name: string; input: Partial<SeverityInput>; expected: Severity }[] = [
  {
    // The issue's case. Residents' care goes on on paper, but an attacker is encrypting the only
    // server: the pole must call back at once. An EHPAD is not a referral hospital, so not P1 on its own.
    name: "ransomware still encrypting in an EHPAD, procedures degraded",
    input: {
      category: "ehpad",
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      ongoing: true,
      impactGrade: 1,
      suspectedMalicious: "yes",
      affectedServices: ["dpi", "email"],
    },
    expected: "P2",
  },
  {
    // Same nursing home, declared through "des données ont été chiffrées" before any effect on care:
    // encryption is never minor, whatever the first minutes felt like.
    name: "ransomware in an EHPAD declared as data encrypted, no impact felt yet",
    input: {
      category: "ehpad",
      rsitClass: "information-content-security",
      rsitType: "unauthorised-information-modification",
      ongoing: true,
      impactGrade: 0,
    },
    expected: "P2",
  },
  {
    // The encryption reached two other EHPADs of the same group (shared IT): a regional crisis.
    name: "ransomware in an EHPAD that has reached other establishments of its group",
    input: {
      category: "ehpad",
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      ongoing: true,
      impactGrade: 1,
      spread: "other_establishments",
    },
    expected: "P1",
  },
  {
    // A CHU's PACS encrypted while the attack runs, scans postponed: the region's referral hospital,
    // SAMU and trauma centre, may lose more at any minute. Task force.
    name: "ransomware in a CHU's imaging, still running",
    input: {
      category: "chu",
      rsitClass: "information-content-security",
      rsitType: "unauthorised-information-modification",
      ongoing: true,
      impactGrade: 2,
      affectedServices: ["pacs"],
    },
    expected: "P1",
  },
  {
    // A CH's servers encrypted across its sites, admissions diverted: every rule says major.
    name: "ransomware across a CH's sites, admissions diverted",
    input: {
      category: "ch",
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      ongoing: true,
      impactGrade: 3,
      spread: "multiple_sites",
      affectedServices: ["dpi", "directory", "laboratory"],
    },
    expected: "P1",
  },
  {
    // Encryption stopped, restore from backups under way in a private clinic: still grave (data may have
    // left, restore must be checked), no longer spreading, and a clinic is not the territory's referral.
    name: "ransomware stopped in a private clinic, restoring from backups",
    input: {
      category: "private_clinic",
      rsitClass: "information-content-security",
      rsitType: "unauthorised-information-modification",
      ongoing: false,
      impactGrade: 1,
    },
    expected: "P2",
  },
  {
    // Plan blanc triggered by a ransomware: the impact alone makes it major.
    name: "plan blanc after a ransomware",
    input: {
      category: "ch",
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      ongoing: true,
      impactGrade: 4,
    },
    expected: "P1",
  },
  {
    // A phishing e-mail reported by a secretary, nobody clicked: worth knowing (the pole may warn the
    // network), nothing to repair.
    name: "phishing without a click",
    input: { rsitClass: "fraud", rsitType: "phishing", suspectedMalicious: "yes" },
    expected: "P4",
  },
  {
    // A nurse typed her password on the fake page and the mailbox now sends phishing inside: an
    // attacker holds an account. Significant, not yet grave (no admin rights, no care impact).
    name: "phishing with credentials entered, the mailbox used by the attacker",
    input: {
      rsitClass: "intrusions",
      rsitType: "unprivileged-account-compromise",
      ongoing: true,
      suspectedMalicious: "yes",
      affectedServices: ["email"],
    },
    expected: "P3",
  },
  {
    // The same compromised mailbox sends phishing to the other hospitals of the GHT: contagion.
    name: "compromised mailbox sending phishing to other establishments",
    input: {
      rsitClass: "intrusions",
      rsitType: "unprivileged-account-compromise",
      ongoing: true,
      affectedServices: ["email"],
      spread: "other_establishments",
    },
    expected: "P2",
  },
  {
    // A laptop with full-disk encryption forgotten on a train: no data exposed, nothing to notify.
    name: "lost laptop, disk encrypted",
    input: { rsitClass: "information-content-security", rsitType: "data-loss", personalDataBreach: "no" },
    expected: "P4",
  },
  {
    // An unencrypted laptop with 800 patients' files: a personal-data breach, CNIL within 72 h.
    name: "lost unencrypted laptop with patient data",
    input: {
      rsitClass: "information-content-security",
      rsitType: "data-loss",
      personalDataBreach: "yes",
      personalDataPeople: 800,
    },
    expected: "P3",
  },
  {
    // The online appointment site is flooded; phone booking still works, care untouched. Patients are
    // turned away online while it lasts: significant, not grave.
    name: "DDoS on the appointment website, still running",
    input: {
      category: "chu",
      rsitClass: "availability",
      rsitType: "ddos",
      ongoing: true,
      suspectedMalicious: "yes",
    },
    expected: "P3",
  },
  {
    // The same DDoS, over after twenty minutes when declared: minor.
    name: "DDoS on the appointment website, over",
    input: { rsitClass: "availability", rsitType: "ddos", ongoing: false },
    expected: "P4",
  },
  {
    // A domain administrator account used at night from abroad: what comes right before a ransomware.
    // No effect on care yet, so grave rather than major; the analyst raises it if encryption starts.
    name: "compromised domain admin account",
    input: {
      rsitClass: "intrusions",
      rsitType: "privileged-account-compromise",
      ongoing: true,
      suspectedMalicious: "yes",
      affectedServices: ["directory"],
    },
    expected: "P2",
  },
  {
    // A server controlled by an attacker who reached the directory: treated as an admin compromise.
    name: "server compromise reaching the directory (AD)",
    input: {
      category: "psychiatric",
      rsitClass: "intrusions",
      rsitType: "system-compromise",
      ongoing: false,
      affectedServices: ["directory"],
    },
    expected: "P2",
  },
  {
    // A ransomware group claims 30,000 patients' records on its leak site: grave whatever the care impact
    // (CNIL, patients to inform, extortion to come).
    name: "data exfiltration claimed by a ransomware group",
    input: {
      rsitClass: "information-content-security",
      rsitType: "data-leak",
      personalDataBreach: "yes",
      personalDataPeople: 30_000,
      suspectedMalicious: "yes",
    },
    expected: "P2",
  },
  {
    // The managed-service provider's remote access was used to get into several of its health customers
    // and the attacker is still active: regional contagion, task force.
    name: "supplier (MSP) compromise reaching several establishments",
    input: {
      category: "smr",
      rsitClass: "intrusions",
      rsitType: "system-compromise",
      ongoing: true,
      spread: "other_establishments",
      suspectedMalicious: "yes",
    },
    expected: "P1",
  },
  {
    // The patient-record vendor tells its customers it was breached, now contained; whether our data
    // left is unknown: the pole needs to hear it soon (other customers), but nothing runs any more.
    name: "patient-record vendor breached, contained, other customers concerned",
    input: {
      category: "had",
      rsitClass: "intrusions",
      rsitType: "system-compromise",
      ongoing: false,
      spread: "other_establishments",
      personalDataBreach: "unknown",
    },
    expected: "P2",
  },
  {
    // The public website defaced, restored from a clean copy the same morning: significant (the CMS was
    // compromised and must be fixed), no care impact.
    name: "defaced website, restored",
    input: { rsitClass: "intrusions", rsitType: "application-compromise", ongoing: false },
    expected: "P3",
  },
  {
    // A fake director asks accounting for an urgent transfer; the accountant called back and paid nothing.
    name: "CEO fraud attempt, nothing paid",
    input: { rsitClass: "fraud", rsitType: "masquerade", suspectedMalicious: "yes" },
    expected: "P4",
  },
  {
    // A USB stick found in the car park, its malware blocked and removed by the antivirus.
    name: "USB malware contained by the antivirus",
    input: { rsitClass: "malicious-code", rsitType: "infected-system", ongoing: false, impactGrade: 0 },
    expected: "P4",
  },
  {
    // A malware cleaned up, but the ward worked on paper for a morning: significant.
    name: "malware cleaned up after a morning in degraded mode",
    input: { rsitClass: "malicious-code", rsitType: "infected-system", ongoing: false, impactGrade: 1 },
    expected: "P3",
  },
  {
    // Fibre and power cut on purpose in the server room, non-urgent activity postponed: destructive.
    name: "sabotage of the server room",
    input: { rsitClass: "availability", rsitType: "sabotage", impactGrade: 2, suspectedMalicious: "yes" },
    expected: "P2",
  },
  {
    // Air conditioning failure stops the data centre, consultations postponed: no attacker, the impact
    // alone decides.
    name: "data-centre air conditioning failure, consultations postponed",
    input: { rsitClass: "availability", rsitType: "outage", impactGrade: 2, suspectedMalicious: "no" },
    expected: "P3",
  },
  {
    // Dialysis generators' supervision down, a patient's session at risk: risk to life is always major.
    name: "outage endangering dialysis patients",
    input: { category: "dialysis", rsitClass: "availability", rsitType: "outage", impactGrade: 5 },
    expected: "P1",
  },
  {
    // An employee browsed a celebrity's record without reason: one person's data, a breach, significant.
    name: "staff snooping on a patient's record",
    input: {
      rsitClass: "information-content-security",
      rsitType: "unauthorised-information-access",
      personalDataBreach: "yes",
      personalDataPeople: 1,
    },
    expected: "P3",
  },
  {
    // Ports scanned from abroad, seen in the firewall logs: the daily noise of the Internet.
    name: "port scan seen by the firewall",
    input: { rsitClass: "information-gathering", rsitType: "scanner", ongoing: true },
    expected: "P4",
  },
  {
    // Thousands of failed VPN logins, none successful: minor while nothing got in.
    name: "brute force on the VPN, no success",
    input: { rsitClass: "intrusion-attempts", rsitType: "brute-force", ongoing: true },
    expected: "P4",
  },
  {
    // A remote desktop exposed on the Internet, found by an external scan: a vulnerability, no attack.
    name: "RDP exposed on the Internet",
    input: { rsitClass: "vulnerable", rsitType: "potentially-unwanted-accessible" },
    expected: "P4",
  },
  {
    // "Strange messages on screens, everything slow", nobody knows what yet, surely an attack, still
    // going: the pole must look today rather than tomorrow.
    name: "undetermined, suspected malicious, still going, procedures degraded",
    input: {
      category: "disability_adults",
      rsitClass: "other",
      rsitType: "undetermined",
      suspectedMalicious: "yes",
      ongoing: true,
      impactGrade: 1,
    },
    expected: "P3",
  },
  {
    // A ransomware in a dialysis centre's office network, care untouched: grave (P2), not the
    // referral-hospital rule, since the centre does not carry the territory's emergencies.
    name: "ransomware in a dialysis centre's office network",
    input: {
      category: "dialysis",
      rsitClass: "information-content-security",
      rsitType: "unauthorised-information-modification",
      ongoing: true,
      impactGrade: 0,
    },
    expected: "P2",
  },
];

describe("suggested severity", () => {
  test("the table holds at least twenty realistic declarations, each a valid RSIT pair", () => {
    expect(DECLARATIONS.length).toBeGreaterThanOrEqual(20);
    for (const d of DECLARATIONS) {
      const input = { ...base, ...d.input };
      expect(
        RSIT_CLASSES.some(
          (c) => c.value === input.rsitClass && c.types.some((t) => t.value === input.rsitType),
        ),
        d.name,
      ).toBe(true);
    }
  });

  test.each(DECLARATIONS)("$name: $expected", ({ input, expected }) => {
    const s = suggestSeverity({ ...base, ...input });
    expect(s.severity).toBe(expected);
    expect(s.reasons.length).toBeGreaterThan(0);
  });

  test("an ongoing ransomware is never minor nor merely significant, in any establishment, at any impact", () => {
    for (const category of CATEGORY_VALUES) {
      for (const impactGrade of IMPACT_GRADES) {
        for (const spread of SPREADS) {
          const s = suggestSeverity({
            ...base,
            category,
            impactGrade,
            spread,
            ongoing: true,
            rsitClass: "information-content-security",
            rsitType: "unauthorised-information-modification",
          });
          expect(level(s.severity)).toBeLessThanOrEqual(2);
        }
      }
    }
  });

  test("reasons say in French why, the threat included", () => {
    const s = suggestSeverity({
      ...base,
      category: "chu",
      impactGrade: 2,
      ongoing: true,
      rsitClass: "information-content-security",
      rsitType: "unauthorised-information-modification",
    });
    expect(s.reasons).toEqual([
      "Impact sur les soins : niveau 2 (Activité non urgente déprogrammée)",
      "Données chiffrées ou modifiées par un attaquant (rançongiciel, destruction) : au moins P2",
      "Rançongiciel ou logiciel malveillant toujours actif dans un centre hospitalier universitaire : incident majeur, P1",
    ]);
    const large = suggestSeverity({
      ...base,
      personalDataBreach: "yes",
      personalDataPeople: 12_500,
    });
    expect(large.reasons).toContain(
      "Violation de données personnelles d'environ 12\u202f500 personnes : au moins P2",
    );
  });

  test.each([
    [0, "P4"],
    [1, "P4"],
    [2, "P3"],
    [3, "P2"],
    [4, "P1"],
    [5, "P1"],
  ] as const)("without a threat, grade %i alone gives %s", (grade, severity) => {
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
    const pair = fc.constantFrom(
      ...RSIT_CLASSES.flatMap((c) => c.types.map((t) => ({ rsitClass: c.value, rsitType: t.value }))),
    );
    const input = fc
      .record({
        impactGrade: fc.constantFrom(...IMPACT_GRADES),
        spread: fc.constantFrom(...SPREADS),
        personalDataBreach: fc.constantFrom("yes", "no", "unknown" as const),
        personalDataPeople: fc.option(fc.integer({ min: 0, max: 100_000_000 })),
        ongoing: fc.boolean(),
        pair,
        suspectedMalicious: fc.constantFrom("yes", "no", "unknown" as const),
        affectedServices: fc.subarray([...AFFECTED_SERVICES]),
        category: fc.constantFrom(...CATEGORY_VALUES),
      })
      .map(({ pair: p, ...rest }): SeverityInput => ({ ...rest, ...p }));
    const lvl = (i: SeverityInput) => level(suggestSeverity(i).severity);
    fc.assert(
      fc.property(input, (i) => {
        const l = lvl(i);
        expect(l).toBeGreaterThanOrEqual(1);
        expect(l).toBeLessThanOrEqual(4);
        if (i.impactGrade < 5) {
          expect(lvl({ ...i, impactGrade: (i.impactGrade + 1) as ImpactGrade })).toBeLessThanOrEqual(l);
        }
        expect(lvl({ ...i, personalDataBreach: "yes" })).toBeLessThanOrEqual(l);
        expect(lvl({ ...i, ongoing: true })).toBeLessThanOrEqual(l);
        expect(lvl({ ...i, spread: "other_establishments" })).toBeLessThanOrEqual(l);
        expect(
          lvl({ ...i, affectedServices: [...(i.affectedServices ?? []), "directory"] }),
        ).toBeLessThanOrEqual(l);
        expect(suggestSeverity(i).reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
