import { CLOCK_KINDS } from "@pris/domain";
import { describe, expect, test } from "vitest";
import {
  CLOCK_TODO,
  clockSentence,
  formatHour,
  formatWhen,
} from "../../services/web/src/lib/deadline-words.ts";

const REUNION = "Indian/Reunion"; // UTC+4 all year
const PARIS = "Europe/Paris";
/** Sunday 6 December 2026, 14:00 in La Réunion. */
const now = new Date("2026-12-06T10:00:00Z");

const sentence = (s: { lead: string; when: string; tail: string }) => `${s.lead} ${s.when}${s.tail}`;

describe("deadlines in French, in the region's zone", () => {
  test("hours are written 9 h 10, 14 h on the hour, in the region's zone whatever the device's", () => {
    expect(formatHour(new Date("2026-12-07T05:10:00Z"), REUNION)).toBe("9 h 10");
    expect(formatHour(new Date("2026-12-07T10:00:00Z"), REUNION)).toBe("14 h");
    expect(formatHour(new Date("2026-12-06T20:05:00Z"), REUNION)).toBe("0 h 05");
    expect(formatHour(new Date("2026-12-07T05:10:00Z"), PARIS)).toBe("6 h 10");
  });

  test("today, tomorrow, yesterday, then the weekday and date; the year only when it is another", () => {
    expect(formatWhen("2026-12-06T11:10:00Z", REUNION, now)).toBe("aujourd'hui à 15 h 10");
    expect(formatWhen("2026-12-07T05:10:00Z", REUNION, now)).toBe("demain à 9 h 10");
    expect(formatWhen("2026-12-05T05:10:00Z", REUNION, now)).toBe("hier à 9 h 10");
    expect(formatWhen("2026-12-09T05:10:00Z", REUNION, now)).toBe("le mercredi 9 décembre à 9 h 10");
    expect(formatWhen("2027-01-01T05:00:00Z", REUNION, now)).toBe("le vendredi 1er janvier 2027 à 9 h");
    // 21:30 UTC on the 6th is already the 7th in La Réunion: tomorrow there.
    expect(formatWhen("2026-12-06T21:30:00Z", REUNION, now)).toBe("demain à 1 h 30");
  });

  test("every clock says what to do in words, never 'sans délai' after 'Délai'", () => {
    for (const kind of CLOCK_KINDS) expect(CLOCK_TODO[kind]).toMatch(/^À faire /);
    const portal = clockSentence(
      { kind: "national_portal", dueAt: "2026-12-07T05:10:00Z", doneAt: null, provisional: false },
      REUNION,
      now,
    );
    expect(sentence(portal)).toBe("À faire tout de suite, au plus tard demain à 9 h 10 (dans 19 h 10).");
    expect(portal.when).toBe("demain à 9 h 10");
    const cnil = clockSentence(
      { kind: "gdpr_cnil", dueAt: "2026-12-09T05:10:00Z", doneAt: null, provisional: false },
      REUNION,
      now,
    );
    expect(sentence(cnil)).toBe(
      "À faire dans les 72 heures, au plus tard le mercredi 9 décembre à 9 h 10 (dans 2 j 19 h).",
    );
    const final = clockSentence(
      { kind: "nis2_final_report", dueAt: "2027-01-09T05:10:00Z", doneAt: null, provisional: true },
      REUNION,
      now,
    );
    expect(sentence(final)).toBe(
      "À faire dans le mois qui suit la notification, au plus tard le samedi 9 janvier 2027 à 9 h 10 (date provisoire).",
    );
  });

  test("a clock past its due time says so; a clock done says when", () => {
    const late = clockSentence(
      { kind: "nis2_early_warning", dueAt: "2026-12-06T09:25:00Z", doneAt: null, provisional: false },
      REUNION,
      now,
    );
    expect(sentence(late)).toBe(
      "À faire tout de suite : l'échéance était aujourd'hui à 13 h 25 (dépassée de 35 min).",
    );
    const done = clockSentence(
      {
        kind: "national_portal",
        dueAt: "2026-12-07T05:10:00Z",
        doneAt: "2026-12-06T09:40:00Z",
        provisional: false,
      },
      REUNION,
      now,
    );
    expect(sentence(done)).toBe("Fait aujourd'hui à 13 h 40.");
  });
});
