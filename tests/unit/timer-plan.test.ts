import {
  type ClockKind,
  clockDueSoonAt,
  clockState,
  INCIDENT_STATUSES,
  type IncidentStatus,
  type PlannedTimer,
  planTimers,
  slaRemindAt,
  type TimerPlanClock,
  type TimerPlanIncident,
  type TimerPlanSettings,
  timerKey,
} from "@pris/domain";
import { describe, expect, it } from "vitest";

const settings: TimerPlanSettings = {
  serviceLevels: { P1: 15, P2: 60, P3: 240, P4: 1440 },
  remindBeforeMinutes: 10,
};
const MIN = 60_000;
const HOUR = 3_600_000;
const declaredAt = new Date("2026-03-02T10:00:00Z");
const at = (minutes: number) => new Date(declaredAt.getTime() + minutes * MIN);

function incident(overrides: Partial<TimerPlanIncident> = {}): TimerPlanIncident {
  return {
    id: "inc-1",
    status: "new",
    severity: "P2",
    ackDueAt: at(60),
    acknowledgedAt: null,
    followUpAt: null,
    ...overrides,
  };
}

function clock(kind: ClockKind, dueHours: number, overrides: Partial<TimerPlanClock> = {}): TimerPlanClock {
  return {
    id: `clock-${kind}`,
    kind,
    startsAt: declaredAt,
    dueAt: new Date(declaredAt.getTime() + dueHours * HOUR),
    doneAt: null,
    ...overrides,
  };
}

const summary = (timers: PlannedTimer[]) =>
  timers.map((t) => `${t.kind}${t.clockKind ? `:${t.clockKind}` : ""}@${t.dueAt.toISOString()}`).sort();

describe("service-level timers", () => {
  it("plans the reminder before the level and the miss at it while the incident is new", () => {
    const planned = planTimers(incident(), [], settings, declaredAt);
    expect(summary(planned)).toEqual([
      `sla.missed@${at(60).toISOString()}`,
      `sla.remind@${at(50).toISOString()}`,
    ]);
    for (const t of planned) {
      expect(t).toMatchObject({ subjectId: "inc-1", incidentId: "inc-1", deadline: at(60) });
    }
  });

  it("reminds at most half the level ahead", () => {
    // P1: 15 min, remind-before 10 min → 7.5 min ahead.
    const planned = planTimers(incident({ severity: "P1", ackDueAt: at(15) }), [], settings, declaredAt);
    expect(planned.find((t) => t.kind === "sla.remind")?.dueAt).toEqual(
      new Date(at(15).getTime() - 7.5 * MIN),
    );
    expect(slaRemindAt(at(1440), "P4", settings)).toEqual(at(1430));
  });

  it("drops the reminder once the level is past: the miss says it", () => {
    const planned = planTimers(incident(), [], settings, at(61));
    expect(summary(planned)).toEqual([`sla.missed@${at(60).toISOString()}`]);
    // Between the reminder and the level, the reminder is still wanted (it fires late rather than never).
    expect(summary(planTimers(incident(), [], settings, at(55)))).toHaveLength(2);
  });

  it("wants nothing once acknowledged, or once the pole moved the incident on", () => {
    expect(planTimers(incident({ acknowledgedAt: at(5) }), [], settings, at(6))).toEqual([]);
    for (const status of INCIDENT_STATUSES.filter((s) => s !== "new")) {
      expect(planTimers(incident({ status }), [], settings, at(6))).toEqual([]);
    }
  });

  it("wants nothing without a service level", () => {
    expect(planTimers(incident({ ackDueAt: null }), [], settings, declaredAt)).toEqual([]);
  });

  it("follows a changed due time: the new severity's level replaces the old one", () => {
    const before = planTimers(incident({ severity: "P3", ackDueAt: at(240) }), [], settings, declaredAt);
    const after = planTimers(incident({ severity: "P1", ackDueAt: at(15) }), [], settings, declaredAt);
    const keys = new Set(before.map(timerKey));
    expect(after.some((t) => keys.has(timerKey(t)))).toBe(false);
  });
});

describe("follow-up timers", () => {
  const waiting: IncidentStatus[] = ["waiting_establishment", "waiting_third_party"];

  it("plans the follow-up date while the incident waits", () => {
    for (const status of waiting) {
      const planned = planTimers(
        incident({ status, acknowledgedAt: at(5), followUpAt: at(2 * 1440) }),
        [],
        settings,
        at(10),
      );
      expect(planned).toEqual([
        {
          kind: "followup.due",
          subjectId: "inc-1",
          incidentId: "inc-1",
          dueAt: at(2 * 1440),
          deadline: at(2 * 1440),
        },
      ]);
    }
  });

  it("keeps a follow-up date already past (it fires at once), and drops it when work resumes", () => {
    const past = incident({ status: "waiting_third_party", acknowledgedAt: at(5), followUpAt: at(20) });
    expect(summary(planTimers(past, [], settings, at(30)))).toEqual([`followup.due@${at(20).toISOString()}`]);
    for (const status of INCIDENT_STATUSES.filter((s) => !waiting.includes(s))) {
      const planned = planTimers({ ...past, status, acknowledgedAt: at(5) }, [], settings, at(30));
      expect(planned.filter((t) => t.kind === "followup.due")).toEqual([]);
    }
  });
});

describe("regulatory clock timers", () => {
  const working = incident({ status: "investigating", acknowledgedAt: at(5) });

  it("reminds when a clock becomes due soon, and again when it passes", () => {
    const gdpr = clock("gdpr_cnil", 72);
    const planned = planTimers(working, [gdpr], settings, at(10));
    // 72 h: due soon over the last quarter, 18 h before.
    expect(summary(planned)).toEqual([
      `clock.overdue:gdpr_cnil@${gdpr.dueAt.toISOString()}`,
      `clock.remind:gdpr_cnil@${new Date(gdpr.dueAt.getTime() - 18 * HOUR).toISOString()}`,
    ]);
    for (const t of planned) expect(t).toMatchObject({ subjectId: gdpr.id, incidentId: "inc-1" });
  });

  it("reminds at least an hour ahead, however short the clock", () => {
    const portal = clock("national_portal", 2);
    expect(clockDueSoonAt(portal)).toEqual(new Date(portal.dueAt.getTime() - HOUR));
    // Due at awareness (NATIONAL_PORTAL_DUE_HOURS=0): the reminder is due before the clock starts.
    const immediate = clock("national_portal", 0);
    expect(clockDueSoonAt(immediate)).toEqual(new Date(immediate.dueAt.getTime() - HOUR));
  });

  it("fires the reminder exactly when clockState turns due soon", () => {
    for (const [kind, hours] of [
      ["national_portal", 24],
      ["gdpr_cnil", 72],
      ["nis2_early_warning", 24],
      ["nis2_final_report", 24 * 31],
      ["national_portal", 2],
    ] as const) {
      const c = clock(kind, hours);
      const remindAt = clockDueSoonAt(c);
      expect(clockState(c, new Date(remindAt.getTime() - 1))).toBe("pending");
      expect(clockState(c, remindAt)).toBe("due_soon");
    }
  });

  it("plans every clock not done, and none that is done", () => {
    const clocks = [
      clock("national_portal", 24, { doneAt: at(60) }),
      clock("nis2_early_warning", 24),
      clock("nis2_notification", 72),
      clock("nis2_final_report", 72 + 31 * 24),
    ];
    const planned = planTimers(working, clocks, settings, at(10));
    expect(planned.filter((t) => t.clockKind === "national_portal")).toEqual([]);
    expect(planned.map((t) => t.clockKind).sort()).toEqual([
      "nis2_early_warning",
      "nis2_early_warning",
      "nis2_final_report",
      "nis2_final_report",
      "nis2_notification",
      "nis2_notification",
    ]);
    // Two clocks due at the same time are two timers: the clock, not the incident, is their subject.
    const gdpr = clock("gdpr_cnil", 72);
    const both = planTimers(working, [gdpr, clocks[2]!], settings, at(10));
    expect(new Set(both.map(timerKey)).size).toBe(4);
  });

  it("drops the reminder of an overdue clock and keeps the overdue timer", () => {
    const portal = clock("national_portal", 24);
    expect(summary(planTimers(working, [portal], settings, at(25 * 60)))).toEqual([
      `clock.overdue:national_portal@${portal.dueAt.toISOString()}`,
    ]);
  });

  it("still plans clocks for a closed incident, not for a rejected or merged one", () => {
    const finalReport = clock("nis2_final_report", 72 + 31 * 24);
    expect(planTimers({ ...working, status: "closed" }, [finalReport], settings, at(10))).toHaveLength(2);
    expect(planTimers({ ...working, status: "rejected" }, [finalReport], settings, at(10))).toEqual([]);
    expect(planTimers({ ...working, status: "merged" }, [finalReport], settings, at(10))).toEqual([]);
  });
});

describe("across the lifecycle", () => {
  it("plans each kind only in the states that want it", () => {
    const clocks = [clock("gdpr_cnil", 72)];
    for (const status of INCIDENT_STATUSES) {
      const planned = planTimers(incident({ status, followUpAt: at(3 * 1440) }), clocks, settings, at(1));
      const kinds = new Set(planned.map((t) => t.kind));
      expect(kinds.has("sla.remind"), status).toBe(status === "new");
      expect(kinds.has("sla.missed"), status).toBe(status === "new");
      expect(kinds.has("followup.due"), status).toBe(status.startsWith("waiting_"));
      expect(kinds.has("clock.overdue"), status).toBe(status !== "rejected" && status !== "merged");
    }
  });

  it("is deterministic: the same state gives the same keys", () => {
    const state = [incident(), [clock("gdpr_cnil", 72), clock("national_portal", 24)]] as const;
    const a = planTimers(state[0], state[1], settings, at(1)).map(timerKey);
    const b = planTimers(state[0], state[1], settings, at(2)).map(timerKey);
    expect(a).toEqual(b);
  });
});
