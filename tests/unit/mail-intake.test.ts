import { awarenessFromMail, declarationFromMail, titleFromSubject } from "@pris/domain";
import { authenticationVerdict, readMessage, stripQuotedHistory } from "@pris/worker";
import { describe, expect, it } from "vitest";

const options = { authservId: "", required: false };

describe("the receiving server's Authentication-Results", () => {
  it("fails on DMARC, or on SPF/DKIM failing with nothing passing", () => {
    expect(
      authenticationVerdict(["mx.pole.re; dmarc=fail (p=reject) header.from=x.fr"], options).failure,
    ).toBe("dmarc=fail");
    expect(
      authenticationVerdict(["mx.pole.re; spf=fail smtp.mailfrom=x.fr; dkim=none"], options).failure,
    ).toBe("spf=fail");
    expect(
      authenticationVerdict(["mx.pole.re; spf=fail smtp.mailfrom=x.fr; dkim=pass header.d=x.fr"], options)
        .failure,
    ).toBeNull();
    expect(
      authenticationVerdict(["mx.pole.re; spf=pass; dkim=pass; dmarc=pass"], options).failure,
    ).toBeNull();
  });

  it("believes only the topmost header, or the one of the configured server", () => {
    const headers = ["mx.pole.re; dmarc=fail", "forged.example; dmarc=pass; spf=pass; dkim=pass"];
    expect(authenticationVerdict(headers, options).failure).toBe("dmarc=fail");
    const sender = ["forged.example; dmarc=pass", "mx.pole.re; dkim=fail (bad signature) header.d=x.fr"];
    expect(authenticationVerdict(sender, { authservId: "mx.pole.re", required: false }).failure).toBe(
      "dkim=fail",
    );
  });

  it("reads through comments, and a missing verdict fails only when one is required", () => {
    const v = authenticationVerdict(
      ["mx.pole.re (Postfix; spf=pass); spf=softfail (not permitted) smtp.mailfrom=a.fr"],
      options,
    );
    expect(v.results).toMatchObject({ authservId: "mx.pole.re", spf: "softfail" });
    expect(v.failure).toBe("spf=softfail");
    expect(authenticationVerdict([], options).failure).toBeNull();
    expect(authenticationVerdict([], { authservId: "", required: true }).failure).not.toBeNull();
  });
});

describe("a message's own words", () => {
  it("loses the quoted history of French and English clients", () => {
    expect(
      stripQuotedHistory("Merci.\n\nLe 7 déc. 2026 à 10:00, PRIS <pris@pole.re> a écrit :\n> Bonjour"),
    ).toBe("Merci.");
    expect(
      stripQuotedHistory(
        "Vu.\r\n\r\n-----Message d'origine-----\r\nDe : PRIS\r\nEnvoyé : lundi\r\nObjet : x",
      ),
    ).toBe("Vu.");
    expect(stripQuotedHistory("Réponse\n\nOn Mon, Dec 7, 2026 at 10:00 AM PRIS wrote:\n> hi")).toBe(
      "Réponse",
    );
    expect(stripQuotedHistory("Tout est là.")).toBe("Tout est là.");
  });

  it("is read with its attachments' digests, and a message without Message-ID gets one from its bytes", async () => {
    const raw = Buffer.from(
      [
        "From: RSSI <RSSI@CH.fr>",
        "Subject: TR: Re: Note de rançon",
        "Content-Type: multipart/mixed; boundary=b",
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Voir la capture.",
        "--b",
        "Content-Type: text/plain; name=note.txt",
        "Content-Disposition: attachment; filename=note.txt",
        "",
        "PAYEZ",
        "--b--",
        "",
      ].join("\r\n"),
    );
    const m = await readMessage(raw);
    expect(m.fromAddress).toBe("rssi@ch.fr");
    expect(m.messageId).toMatch(/^<sha256\.[0-9a-f]{64}@intake\.invalid>$/);
    expect((await readMessage(raw)).messageId).toBe(m.messageId);
    expect(m.attachments).toEqual([
      expect.objectContaining({ name: "note.txt", size: 5, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    expect(titleFromSubject(m.subject)).toBe("Note de rançon");
  });

  it("makes a declaration to complete, every unknown field left unknown", () => {
    const d = declarationFromMail({
      declarant: { name: "RSSI", email: "rssi@ch.fr", phone: "" },
      subject: "Re:",
      text: "",
      at: new Date("2026-12-07T06:00:00Z"),
    });
    expect(d).toMatchObject({
      title: "Signalement reçu par courriel",
      description: "(message sans texte)",
      rsitClass: "other",
      rsitType: "undetermined",
      impactGrade: 0,
      tlp: "AMBER",
    });
  });

  it("starts the clocks when the message was written, if its Date is plausible", () => {
    const at = new Date("2026-12-07T06:00:00Z");
    const hourBefore = new Date("2026-12-07T05:00:00Z");
    expect(awarenessFromMail(at, hourBefore)).toEqual(hourBefore);
    expect(awarenessFromMail(at, new Date("2026-11-01T00:00:00Z"))).toEqual(at);
    expect(awarenessFromMail(at, new Date("2026-12-07T09:00:00Z"))).toEqual(at);
    expect(awarenessFromMail(at, null)).toEqual(at);
  });
});
