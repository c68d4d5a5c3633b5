import { incidents } from "@pris/db";
import {
  allowedActions,
  INCIDENT_ACTIONS,
  INCIDENT_STATUSES,
  type IncidentAction,
  type IncidentStatus,
  isOpen,
  nextStatus,
  WAITING_STATUSES,
  type WorkingStatus,
} from "@pris/domain";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Random sequences of actions — allowed or not, well-formed or not — sent through the API to fresh
 * incidents. Whatever comes, the API never fails (5xx), a forbidden action is a 409 naming exactly the
 * domain's allowed actions, the stored status is the one the domain's machine predicts, and the main
 * courante's chain verifies.
 */
type Headers = Record<string, string>;
type Action = IncidentAction | "claim" | "unassign";
/**
 * Most steps pick among the actions allowed now (else a random walk seldom gets past `new`); the rest
 * pick any action, allowed or not.
 */
type Command = { any: Action; fromAllowed: boolean; pick: number; malformed: boolean };

let t: TestApp;
let analyst: Headers;
let rssi: Headers;
let mergeTarget: string;
const reached = new Set<IncidentStatus>();

const CLOSURE = {
  rsitClass: "malicious-code",
  rsitType: "infected-system",
  rootCause: "Hameçonnage",
  measures: "Comptes réinitialisés",
  lessons: "Sensibiliser les équipes",
};

/** A well-formed body for the action; a malformed one lacks what the action requires or adds a stranger. */
function transitionBody(action: IncidentAction, malformed: boolean): Record<string, unknown> {
  const followUpAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const body: Record<string, unknown> = { action };
  switch (action) {
    case "wait_establishment":
    case "wait_third_party":
      if (!malformed) body.followUpAt = followUpAt;
      break;
    case "close":
      if (!malformed) body.closure = CLOSURE;
      break;
    case "reject":
    case "reopen":
      if (!malformed) body.reason = "Raison";
      break;
    case "merge":
      if (!malformed) body.mergeInto = mergeTarget;
      break;
    default:
      if (malformed) body.unexpected = true;
  }
  return body;
}

const command: fc.Arbitrary<Command> = fc.record({
  any: fc.constantFrom<Action>(...INCIDENT_ACTIONS, "claim", "unassign"),
  fromAllowed: fc.integer({ min: 0, max: 9 }).map((n) => n < 6),
  pick: fc.nat(),
  malformed: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

beforeAll(async () => {
  t = await startTestApp();
  const establishment = await createEstablishment(t.db);
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  rssi = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: establishment.id })).email)
  ).bearer;
  const target = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssi,
    payload: declaration(),
  });
  mergeTarget = target.json().id;
});
afterAll(() => t.close());

test("random action sequences through the API follow the domain's machine", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 20 }), async (commands) => {
      const declared = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssi,
        payload: declaration(),
      });
      expect(declared.statusCode).toBe(201);
      const id = declared.json().id as string;
      let model: { status: IncidentStatus; previousStatus: WorkingStatus | null } = {
        status: "new",
        previousStatus: null,
      };
      let statusChanges = 0;

      for (const { any, fromAllowed, pick, malformed } of commands) {
        const context = { previousStatus: model.previousStatus };
        const allowedNow = allowedActions(model.status, context);
        const action = fromAllowed && allowedNow.length > 0 ? allowedNow[pick % allowedNow.length]! : any;
        reached.add(model.status);
        let expected: { code: number; status: IncidentStatus; allowed?: string[]; problem?: string };
        let res: Awaited<ReturnType<typeof t.app.inject>>;
        if (action === "claim" || action === "unassign") {
          res = await t.app.inject({
            method: "POST",
            url: `/api/v1/incidents/${id}/${action}`,
            headers: analyst,
          });
          expected = isOpen(model.status)
            ? {
                code: 200,
                status: action === "claim" && model.status === "new" ? "acknowledged" : model.status,
              }
            : { code: 409, status: model.status, problem: "incident_not_open" };
        } else {
          res = await t.app.inject({
            method: "POST",
            url: `/api/v1/incidents/${id}/transitions`,
            headers: analyst,
            payload: transitionBody(action, malformed),
          });
          const to = nextStatus(model.status, action, context);
          expected = malformed
            ? { code: 400, status: model.status, problem: "validation_failed" }
            : to
              ? { code: 200, status: to }
              : {
                  code: 409,
                  status: model.status,
                  problem: "transition_not_allowed",
                  allowed: allowedActions(model.status, context),
                };
        }
        const what = `${action}${malformed ? " (malformed)" : ""} from ${model.status}: ${res.body}`;
        expect(res.statusCode, what).toBeLessThan(500);
        expect(res.statusCode, what).toBe(expected.code);
        if (expected.problem) expect(res.json().code, what).toBe(expected.problem);
        if (expected.allowed) expect(res.json().allowed, what).toEqual(expected.allowed);
        if (expected.code === 200) expect(res.json().status, what).toBe(expected.status);

        if (expected.status !== model.status) {
          statusChanges++;
          const waiting = (WAITING_STATUSES as readonly string[]).includes(expected.status);
          model = {
            status: expected.status,
            previousStatus: waiting ? (model.status as WorkingStatus) : null,
          };
        }
        const [row] = await t.db
          .select({ status: incidents.status, previousStatus: incidents.previousStatus })
          .from(incidents)
          .where(eq(incidents.id, id));
        expect(row, what).toEqual(model);
      }

      const log = await t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${id}/log?limit=500`,
        headers: analyst,
      });
      const kinds = (log.json().items as { kind: string }[]).map((e) => e.kind);
      expect(kinds.filter((k) => k === "status_changed")).toHaveLength(statusChanges);
      const verified = await t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${id}/log/verify`,
        headers: analyst,
      });
      expect(verified.json()).toMatchObject({
        valid: true,
        entries: kinds.length,
        firstBroken: null,
        missing: null,
      });
    }),
    // A fixed seed: the same 50 walks every run, which together reach every status (with a seed drawn
    // each run, one in CI's leap-day run never reached "monitoring"). PROPERTY_SEED explores others.
    { numRuns: 50, seed: Number(process.env.PROPERTY_SEED ?? 20261207) },
  );
  const target = await t.app.inject({
    method: "GET",
    url: `/api/v1/incidents/${mergeTarget}/log/verify`,
    headers: analyst,
  });
  expect(target.json()).toMatchObject({ valid: true, firstBroken: null });
  // The walk went everywhere: every status was visited by some run.
  expect([...reached].sort()).toEqual([...INCIDENT_STATUSES].sort());
}, 120_000);
