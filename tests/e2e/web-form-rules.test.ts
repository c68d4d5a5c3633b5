import { type Me, normalizeDeclaration, suggestSeverityFor } from "@pris/domain";
import { describe, expect, it } from "vitest";
import {
  initialForm,
  mapServerErrors,
  newObservableRow,
  toDeclaration,
  validateForm,
} from "../../services/web/src/declaration/form.ts";
import { previewSeverity } from "../../services/web/src/declaration/SeverityPreview.tsx";
import { fromZonedInputValue, toZonedInputValue } from "../../services/web/src/lib/zoned-time.ts";

/**
 * The web form's own rules, without a browser: wall times of the region converted to UTC whatever
 * the device's zone (DST included), the body sent being the same for the same form (so a retry
 * with the same Idempotency-Key is a replay), and the server's field errors put back in French.
 */

const me: Me = {
  id: "0190a000-0000-7000-8000-000000000001",
  email: "rssi@example.test",
  displayName: "Rita Payet",
  phone: "+262 692 11 22 33",
  role: "rssi",
  ght: null,
  establishments: [
    { id: "0190a000-0000-7000-8000-000000000002", finess: "970400001", name: "CH Sud", category: "ch" },
  ],
};

describe("region wall time ↔ UTC", () => {
  it("reads Réunion times in Réunion (UTC+4, no DST)", () => {
    expect(fromZonedInputValue("2026-03-02T03:00", "Indian/Reunion")?.toISOString()).toBe(
      "2026-03-01T23:00:00.000Z",
    );
    expect(toZonedInputValue(new Date("2026-12-31T20:30:00Z"), "Indian/Reunion")).toBe("2027-01-01T00:30");
  });

  it("reads Paris times with the offset of the day, across both DST changes", () => {
    expect(fromZonedInputValue("2026-01-15T12:00", "Europe/Paris")?.toISOString()).toBe(
      "2026-01-15T11:00:00.000Z",
    );
    expect(fromZonedInputValue("2026-07-14T12:00", "Europe/Paris")?.toISOString()).toBe(
      "2026-07-14T10:00:00.000Z",
    );
    // 02:30 does not exist on 29 March 2026: read with the winter offset, i.e. 03:30 summer time.
    expect(fromZonedInputValue("2026-03-29T02:30", "Europe/Paris")?.toISOString()).toBe(
      "2026-03-29T01:30:00.000Z",
    );
    // 02:30 happens twice on 25 October 2026: the first one (summer time) is taken.
    expect(fromZonedInputValue("2026-10-25T02:30", "Europe/Paris")?.toISOString()).toBe(
      "2026-10-25T00:30:00.000Z",
    );
  });

  it("round-trips every quarter hour of a year in both zones", () => {
    for (const zone of ["Indian/Reunion", "Europe/Paris"]) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 15 * 60_000) {
        const instant = new Date(t);
        const wall = toZonedInputValue(instant, zone);
        expect(toZonedInputValue(fromZonedInputValue(wall, zone)!, zone)).toBe(wall);
      }
    }
  });

  it("refuses what is not a date", () => {
    expect(fromZonedInputValue("2026-02-31T12:00", "Europe/Paris")).toBeNull();
    expect(fromZonedInputValue("demain", "Europe/Paris")).toBeNull();
    expect(fromZonedInputValue("2026-01-01T24:00", "Europe/Paris")).toBeNull();
  });
});

describe("declaration form", () => {
  const now = new Date("2026-03-02T10:00:00Z");
  const filled = () => ({
    ...initialForm(me, "Indian/Reunion", now),
    title: "Rançongiciel",
    description: "Écrans de rançon",
    rsitClass: "other",
    rsitType: "undetermined",
    ongoing: "yes" as const,
    impactGrade: "2" as const,
  });

  it("is prefilled from the account and starts at the region's now", () => {
    const form = initialForm(me, "Indian/Reunion", now);
    expect(form.declarantName).toBe("Rita Payet");
    expect(form.declarantPhone).toBe("+262 692 11 22 33");
    expect(form.detectedAt).toBe("2026-03-02T14:00");
    expect(form.tlp).toBe("AMBER");
  });

  it("says in French what is missing", () => {
    const errors = validateForm(initialForm(me, "Indian/Reunion", now), me, "Indian/Reunion", now);
    expect(Object.keys(errors).sort()).toEqual([
      "description",
      "impactGrade",
      "ongoing",
      "rsitClass",
      "title",
    ]);
    expect(errors.title).toBe("Donnez un titre court à l'incident.");
    expect(validateForm(filled(), me, "Indian/Reunion", now)).toEqual({});
  });

  it("refuses a detection time in the future and a start after the detection", () => {
    const errors = validateForm(
      { ...filled(), detectedAt: "2026-03-02T15:00", startedAt: "2026-03-02T15:30" },
      me,
      "Indian/Reunion",
      now,
    );
    expect(errors.detectedAt).toBe("La date de constat ne peut pas être dans le futur.");
    expect(errors.startedAt).toBe("Le début de l'incident ne peut pas être postérieur à son constat.");
  });

  it("checks observables with the domain's normaliser, in French by type", () => {
    const bad = { ...newObservableRow("sha256"), value: "abc" };
    const good = { ...newObservableRow("domain"), value: "evil[.]example" };
    const errors = validateForm({ ...filled(), observables: [bad, good] }, me, "Indian/Reunion", now);
    expect(errors[`observables.${bad.key}`]).toMatch(/^Empreinte SHA-256 invalide/);
    expect(errors[`observables.${good.key}`]).toBeUndefined();
  });

  it("sends the same body for the same form, whenever it is sent", () => {
    const form = { ...filled(), observables: [{ ...newObservableRow("ipv4"), value: " 185.220.101.7 " }] };
    const first = toDeclaration(form, me, "Indian/Reunion");
    const again = toDeclaration(structuredClone(form), me, "Indian/Reunion");
    expect(JSON.stringify(again.body)).toBe(JSON.stringify(first.body));
    expect(first.body.detectedAt).toBe("2026-03-02T10:00:00.000Z");
    expect(first.body.establishmentId).toBeUndefined();
    expect(first.body.observables).toEqual([{ type: "ipv4", value: "185.220.101.7" }]);
  });

  it("names the establishment when the account covers several", () => {
    const ght: Me = {
      ...me,
      establishments: [
        ...me.establishments,
        {
          id: "0190a000-0000-7000-8000-000000000003",
          finess: "970400002",
          name: "Clinique",
          category: "private_clinic",
        },
      ],
    };
    const form = { ...filled(), establishmentId: "" };
    expect(validateForm(form, ght, "Indian/Reunion", now).establishmentId).toBe(
      "Choisissez l'établissement touché.",
    );
    const body = toDeclaration(
      { ...form, establishmentId: "0190a000-0000-7000-8000-000000000003" },
      ght,
      "Indian/Reunion",
    ).body;
    expect(body.establishmentId).toBe("0190a000-0000-7000-8000-000000000003");
  });

  it("sends the channel only for an analyst declaring on behalf: phone unless e-mail is chosen", () => {
    expect(toDeclaration(filled(), me, "Indian/Reunion").body.channel).toBeUndefined();
    const analyst: Me = { ...me, role: "analyst", establishments: [] };
    const form = {
      ...initialForm(analyst, "Indian/Reunion", now),
      establishmentId: me.establishments[0]!.id,
    };
    expect(form.channel).toBe("phone");
    expect(toDeclaration(form, analyst, "Indian/Reunion").body.channel).toBe("phone");
    expect(toDeclaration({ ...form, channel: "email" }, analyst, "Indian/Reunion").body.channel).toBe(
      "email",
    );
    // A draft saved before the form had the field.
    expect(toDeclaration({ ...form, channel: "" }, analyst, "Indian/Reunion").body.channel).toBe("phone");
  });

  it("previews the API's suggestion once the threat, the ongoing answer and the impact are given", () => {
    const tz = "Indian/Reunion";
    expect(previewSeverity({ ...filled(), impactGrade: "" }, me, tz, now)).toBeNull();
    expect(previewSeverity({ ...filled(), ongoing: "" }, me, tz, now)).toBeNull();
    const ransomware = {
      ...filled(),
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      impactGrade: "1" as const,
    };
    const shown = previewSeverity(ransomware, me, tz, now);
    // What the API computes from the body the form sends, for this CH.
    const sent = normalizeDeclaration(toDeclaration(ransomware, me, tz).body, now);
    if (!sent.ok) throw new Error("the filled form must be valid");
    expect(shown).toEqual(suggestSeverityFor(sent.value, "ch"));
    expect(shown?.severity).toBe("P1");
    // The same answers for a clinic of the same account: its own category counts.
    const ght: Me = {
      ...me,
      establishments: [
        ...me.establishments,
        {
          id: "0190a000-0000-7000-8000-000000000003",
          finess: "970400002",
          name: "Clinique",
          category: "private_clinic",
        },
      ],
    };
    const forClinic = { ...ransomware, establishmentId: "0190a000-0000-7000-8000-000000000003" };
    expect(previewSeverity(forClinic, ght, tz, now)?.severity).toBe("P2");
    expect(previewSeverity({ ...forClinic, establishmentId: "" }, ght, tz, now)).toBeNull();
  });

  it("puts the server's field errors back on the fields, in French", () => {
    const empty = newObservableRow("ipv4");
    const row = { ...newObservableRow("url"), value: "pas une url" };
    const form = { ...filled(), observables: [empty, row] };
    const { observableKeys } = toDeclaration(form, me, "Indian/Reunion");
    const mapped = mapServerErrors(
      [
        { field: "/declarant/phone", message: 'must match pattern "^\\+?[0-9 ().-]{6,30}$"' },
        { field: "/detectedAt", message: "must not be in the future" },
        { field: "/observables/0/value", message: "not a valid URL" },
        { field: "/somethingElse", message: "is not allowed" },
      ],
      form,
      observableKeys,
    );
    expect(mapped.fields.declarantPhone).toMatch(/^Numéro de téléphone invalide/);
    expect(mapped.fields.detectedAt).toBe("La date de constat ne peut pas être dans le futur.");
    // The empty row was not sent: server index 0 is the second row on screen.
    expect(mapped.fields[`observables.${row.key}`]).toMatch(/^URL invalide/);
    expect(mapped.unplaced).toEqual(["/somethingElse : is not allowed"]);
  });
});
