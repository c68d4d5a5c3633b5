import { readdirSync } from "node:fs";
import { outboxValues } from "@pris/db";
import {
  evidenceQuarantinedMessage,
  evidenceReceivedMessage,
  incidentMessage,
  intakeAttachedMessage,
  isMailDeliveryTemplate,
  isOutboxTopic,
  MAIL_DELIVERY_TEMPLATES,
  MAIL_TEMPLATES,
  type MailDeliveryTemplate,
  messageSharedMessage,
  OUTBOX_PAYLOAD_SCHEMAS,
  OUTBOX_TOPICS,
  type OutboxMessage,
  type OutboxTopic,
} from "@pris/domain";
import { Value } from "typebox/value";
import { describe, expect, expectTypeOf, test } from "vitest";

const ID = "01900000-0000-7000-8000-000000000001";

/**
 * The lines under `@ts-expect-error` are what the types exist to refuse: `pnpm typecheck` (which covers
 * tests/) fails if any of them compiles, e.g. because a column or writer went back to plain strings.
 */
describe("names between the API and the worker do not compile when misspelled", () => {
  test("an outbox message takes a known topic and that topic's payload", () => {
    expect(outboxValues(incidentMessage("incident.declared", ID))).toMatchObject({
      topic: "incident.declared",
      aggregateId: ID,
      payload: { incidentId: ID },
    });
    // @ts-expect-error a topic spelled differently from the worker's
    outboxValues({ topic: "incident.declare", aggregateId: ID, payload: { incidentId: ID } });
    // @ts-expect-error the payload of another topic
    outboxValues({ topic: "bulletin.published", aggregateId: ID, payload: { incidentId: ID } });
    outboxValues({
      topic: "retex.reviewed",
      aggregateId: ID,
      // @ts-expect-error a decision the worker has no e-mail for
      payload: { participationId: ID, decision: "refused", comment: null },
    });
    outboxValues({
      topic: "retex.reviewed",
      aggregateId: ID,
      // @ts-expect-error a payload without its required field
      payload: { participationId: ID, decision: "validated" },
    });
    // @ts-expect-error only incident topics carry an incident
    incidentMessage("bulletin.published", ID);
  });

  test("the outbox and mail columns are typed by the names, not plain strings", () => {
    expectTypeOf(outboxValues(incidentMessage("incident.changed", ID)).topic).toEqualTypeOf<OutboxTopic>();
    const template: MailDeliveryTemplate = "incident-declared";
    expect(isMailDeliveryTemplate(template)).toBe(true);
    // @ts-expect-error a template name that is not a file of the worker
    const misspelled: MailDeliveryTemplate = "incident-declare";
    expect(isMailDeliveryTemplate(misspelled)).toBe(false);
  });
});

describe("outbox payload schemas", () => {
  const written: OutboxMessage[] = [
    incidentMessage("incident.declared", ID),
    incidentMessage("incident.changed", ID),
    incidentMessage("incident.escalated", ID),
    messageSharedMessage(ID, ID),
    { topic: "bulletin.published", aggregateId: ID, payload: { revision: 1 } },
    { topic: "bulletin.published", aggregateId: ID, payload: { revision: 3, resumed: true } },
    {
      topic: "retex.reviewed",
      aggregateId: ID,
      payload: { participationId: ID, decision: "returned", comment: "Compléter le plan d'action" },
    },
    {
      topic: "retex.reviewed",
      aggregateId: ID,
      payload: { participationId: ID, decision: "validated", comment: null },
    },
    { topic: "invitation.sent", aggregateId: ID, payload: { sendCount: 2 } },
    {
      topic: "password.reset_requested",
      aggregateId: ID,
      payload: { expiresAt: "2026-12-06T10:30:00.000Z" },
    },
    { topic: "bulletin.mailbox_unsubscribed", aggregateId: ID, payload: { establishmentId: ID } },
    evidenceReceivedMessage(ID, ID),
    evidenceQuarantinedMessage(ID, ID),
    intakeAttachedMessage(ID, ID),
  ];

  test("accept every payload the writers write, for every topic", () => {
    for (const m of written)
      expect(Value.Check(OUTBOX_PAYLOAD_SCHEMAS[m.topic], m.payload), m.topic).toBe(true);
    expect(new Set(written.map((m) => m.topic))).toEqual(new Set(OUTBOX_TOPICS));
  });

  test("accept a property a newer writer added, so an older worker still handles the row", () => {
    expect(Value.Check(OUTBOX_PAYLOAD_SCHEMAS["incident.changed"], { incidentId: ID, reason: "merge" })).toBe(
      true,
    );
  });

  test.each([
    ["incident.declared", {}],
    ["incident.changed", { incidentId: "not-a-uuid" }],
    ["bulletin.published", { revision: 0 }],
    ["bulletin.published", { revision: "1" }],
    ["retex.reviewed", { participationId: ID, decision: "refused", comment: null }],
    ["retex.reviewed", { participationId: ID, decision: "validated" }],
    ["invitation.sent", { sendCount: 0 }],
    ["invitation.sent", {}],
    ["incident.message_shared", { incidentId: ID }],
  ] as const)("refuse a %s payload %j", (topic, payload) => {
    expect(Value.Check(OUTBOX_PAYLOAD_SCHEMAS[topic], payload)).toBe(false);
  });

  test("a topic read from the database is known or not", () => {
    expect(OUTBOX_TOPICS.every(isOutboxTopic)).toBe(true);
    expect(isOutboxTopic("incident.declare")).toBe(false);
    expect(isOutboxTopic("toString")).toBe(false);
  });
});

describe("mail templates", () => {
  const dir = new URL("../../services/worker/src/mail/templates/", import.meta.url);

  test("each name has its three files, and each file its name", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".hbs"));
    const expected = MAIL_TEMPLATES.flatMap((name) =>
      ["subject", "text", "html"].map((part) => `${name}.${part}.hbs`),
    );
    expect(files.sort()).toEqual(expected.sort());
  });

  test("the bulletin's is the only one not sent from mail_deliveries", () => {
    expect(MAIL_TEMPLATES.filter((t) => !isMailDeliveryTemplate(t))).toEqual(["bulletin"]);
    expect(new Set(MAIL_DELIVERY_TEMPLATES).size).toBe(MAIL_DELIVERY_TEMPLATES.length);
  });
});
