import {
  audienceProblem,
  bulletinIsEmailed,
  bulletinReference,
  changedFields,
  contagionBulletinDraft,
  type RecipientCandidate,
  selectRecipients,
} from "@pris/domain";
import { signAckToken, verifyAckToken, verifyUnsubscribeToken } from "@pris/domain/ack-token";
import { describe, expect, test } from "vitest";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const RECIPIENT = "01900000-0000-7000-8000-000000000001";

describe("bulletin rules", () => {
  test("references per kind, three digits at least", () => {
    expect(bulletinReference("REU", 2026, "alerte", 3)).toBe("REU-2026-ALE-003");
    expect(bulletinReference("REU", 2026, "avis", 12)).toBe("REU-2026-AVI-012");
    expect(bulletinReference("PAC", 2027, "information", 1234)).toBe("PAC-2027-INF-1234");
  });

  test("AMBER+STRICT and RED name establishments only; an empty audience names nobody; RED is never e-mailed", () => {
    expect(audienceProblem("GREEN", {})).toMatch(/nobody/);
    expect(audienceProblem("GREEN", { territories: ["nord"], categories: ["ehpad"] })).toBeUndefined();
    for (const tlp of ["AMBER+STRICT", "RED"] as const) {
      expect(audienceProblem(tlp, { all: true })).toMatch(/named establishments/);
      expect(
        audienceProblem(tlp, { establishmentIds: ["x"], products: [{ vendor: "Fortinet" }] }),
      ).toBeDefined();
      expect(audienceProblem(tlp, { establishmentIds: ["x"] })).toBeUndefined();
    }
    expect(bulletinIsEmailed("RED")).toBe(false);
    expect(bulletinIsEmailed("AMBER+STRICT")).toBe(true);
  });

  test("one recipient per address: the account holder, then RSSI over deputy over mailbox; RED keeps account holders", () => {
    const c = (
      email: string,
      role: RecipientCandidate["role"],
      userId: string | null,
      est = "e1",
    ): RecipientCandidate => ({
      establishmentId: est,
      email,
      name: email,
      role,
      userId,
    });
    const candidates = [
      c("ssi@a.test", "mailbox", null),
      c("SSI@a.test", "deputy", null, "e2"),
      c("rssi@a.test", "rssi", null),
      c("Rssi@A.test ", "rssi", "u1", "e2"),
      c("other@a.test", "deputy", null),
    ];
    const green = selectRecipients("GREEN", candidates);
    expect(green.map((r) => [r.email.toLowerCase(), r.role, r.userId])).toEqual([
      ["ssi@a.test", "deputy", null],
      ["rssi@a.test", "rssi", "u1"],
      ["other@a.test", "deputy", null],
    ]);
    expect(selectRecipients("RED", candidates).map((r) => r.userId)).toEqual(["u1"]);
  });

  test("what changed, whatever the order of object keys", () => {
    const base = {
      title: "t",
      summary: "s",
      risks: [],
      affectedSystems: "",
      products: [],
      recommendations: "",
      cves: [],
      links: [],
      observables: [{ type: "ipv4", value: "1.2.3.4", normalized: "1.2.3.4", comment: null }],
      severity: "high",
    };
    const reordered = {
      ...base,
      observables: [{ comment: null, normalized: "1.2.3.4", value: "1.2.3.4", type: "ipv4" }],
    };
    expect(changedFields(base, reordered)).toEqual([]);
    expect(changedFields(base, { ...base, severity: "critical", cves: ["CVE-2026-1234"] })).toEqual([
      "cves",
      "severity",
    ]);
  });

  test("a contagion draft names no establishment and keeps no comment", () => {
    const draft = contagionBulletinDraft({
      severity: "P1",
      rsitTypeLabel: "Rançongiciel",
      detectedOn: "lundi 2 novembre 2026",
      observables: [{ type: "ipv4", value: "185.220.101.7" }],
    });
    expect(draft).toMatchObject({
      tlp: "GREEN",
      kind: "alerte",
      severity: "critical",
      audience: { all: true },
    });
    expect(draft.observables).toEqual([{ type: "ipv4", value: "185.220.101.7" }]);
  });
});

describe("acknowledgement links", () => {
  const future = new Date(Date.now() + 3600_000);

  test("a genuine link names its recipient", () => {
    const token = signAckToken(SECRET, RECIPIENT, future);
    expect(verifyAckToken(SECRET, token)).toMatchObject({ ok: true, recipientId: RECIPIENT });
  });

  test("any change, another secret or garbage is invalid; an expired genuine link is expired", () => {
    const token = signAckToken(SECRET, RECIPIENT, future);
    const [id, exp, sig] = token.split(".");
    const bad = [
      `${id!.replace(/1$/, "2")}.${exp}.${sig}`,
      `${id}.${Number(exp) + 1}.${sig}`,
      `${id}.${exp}.${sig!.slice(1)}`,
      `${token}.x`,
      signAckToken(`${SECRET}!`, RECIPIENT, future),
      "",
      "not a token",
      // The number the signature covers, but not as signAckToken writes it.
      `${id}.0${exp}.${sig}`,
      `${id}.00${exp}.${sig}`,
      `${id}.+${exp}.${sig}`,
    ];
    for (const t of bad) expect(verifyAckToken(SECRET, t)).toEqual({ ok: false, reason: "invalid" });
    const expired = signAckToken(SECRET, RECIPIENT, new Date(Date.now() - 1000));
    expect(verifyAckToken(SECRET, expired)).toEqual({ ok: false, reason: "expired" });
  });
});

describe("the bulletin e-mail", () => {
  test("rendered once, personal per recipient: the name escaped in HTML, raw in text; each link its own", async () => {
    const { bulletinMailer } = await import("../../services/worker/src/bulletins/bulletin-mail.ts");
    const now = new Date();
    const mailer = bulletinMailer(
      {
        id: "01900000-0000-7000-8000-0000000000b1",
        reference: "REU-2026-ALE-007",
        kind: "alerte",
        status: "published",
        tlp: "AMBER",
        severity: "high",
        title: "Titre",
        summary: "Résumé",
        risks: [],
        affectedSystems: "",
        products: [],
        recommendations: "",
        cves: [],
        links: [],
        observables: [],
        audience: { all: true },
        revision: 1,
        pausedAt: null,
        sourceIncidentId: null,
        createdByUserId: "01900000-0000-7000-8000-0000000000c1",
        createdAt: now,
        updatedAt: now,
        publishedAt: now,
        changes: "",
      },
      {
        PUBLIC_URL: "https://pris.example.re",
        REGION_NAME: "La Réunion",
        REGION_TIMEZONE: "Indian/Reunion",
        JWT_SECRET: SECRET,
        BULLETIN_ACK_LINK_DAYS: 30,
        POLE_EMERGENCY_PHONE: "+262 (0)262 12 34 56",
        MAIL_FROM: "PRIS <pris@cyber.example.re>",
      },
    );
    const a = mailer({ id: RECIPIENT, name: "Éric <O'Hara> & $& fils", role: "rssi" }, "revision-1");
    const b = mailer({ id: "01900000-0000-7000-8000-000000000002", name: "Léa", role: "deputy" }, "reminder");
    expect(a.subject).toBe("[TLP:AMBER] Alerte REU-2026-ALE-007 — Titre");
    expect(b.subject).toBe("[TLP:AMBER] Rappel : Alerte REU-2026-ALE-007 — Titre");
    expect(a.text).toContain("Bonjour Éric <O'Hara> & $& fils,");
    expect(a.html).toContain("Bonjour Éric &lt;O&#x27;Hara&gt; &amp; $&amp; fils,");
    const link = (text: string) => /https:\/\/pris\.example\.re\/reponse\/(\S+)/.exec(text)![1]!;
    expect(verifyAckToken(SECRET, link(a.text))).toMatchObject({ ok: true, recipientId: RECIPIENT });
    expect(verifyAckToken(SECRET, link(b.text))).toMatchObject({
      recipientId: "01900000-0000-7000-8000-000000000002",
    });
    expect(a.html).toContain(`<a href="https://pris.example.re/reponse/${link(a.text)}">`);
    expect(a.text + a.html).not.toContain("%%pris");
    // The pole's emergency line, dialable from the HTML part.
    expect(a.text).toContain("Appelez directement le pôle régional cyber : +262 (0)262 12 34 56");
    expect(a.html).toContain('<a href="tel:+262262123456"');
    // People cannot unsubscribe from alerts; a functional mailbox can, in one click (RFC 8058).
    expect(a.headers).toEqual({ "List-Id": "Bulletins d'alerte PRIS <bulletins.cyber.example.re>" });
    const box = mailer({ id: RECIPIENT, name: "Boîte fonctionnelle — CH", role: "mailbox" }, "revision-1");
    const unsubscribe = /^<(https:\/\/pris\.example\.re\/desabonnement\/(\S+))>$/.exec(
      box.headers!["List-Unsubscribe"]!,
    )!;
    expect(box.headers!["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(verifyUnsubscribeToken(SECRET, unsubscribe[2]!)).toMatchObject({
      ok: true,
      recipientId: RECIPIENT,
    });
    // An acknowledgement token is not an unsubscribe token, nor the other way round.
    expect(verifyUnsubscribeToken(SECRET, link(a.text))).toEqual({ ok: false, reason: "invalid" });
    expect(verifyAckToken(SECRET, unsubscribe[2]!)).toEqual({ ok: false, reason: "invalid" });
    expect(box.text).toContain(unsubscribe[1]);
    expect(box.html).toContain(`<a href="${unsubscribe[1]}">se désabonner</a>`);
    expect(a.text + a.html).not.toContain("désabonner");
  });
});
