import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  listOnCallSlots,
  type OnCallSlotRow,
  onCallAt,
  onCallSlots,
  overlappingOnCallSlots,
  type Tx,
  users,
  writeAudit,
} from "@pris/db";
import {
  type FieldError,
  formatWeekSpan,
  IdParamsSchema,
  nextRotaChange,
  OnCallNowSchema,
  OnCallPersonSchema,
  OnCallRotaSchema,
  OnCallSlotCreateSchema,
  OnCallSlotPatchSchema,
  OnCallSlotSchema,
} from "@pris/domain";
import { and, asc, eq, inArray } from "drizzle-orm";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import type { Access } from "../../auth/principal.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { problems } from "../../http.ts";
import { pgCode } from "../../plugins/errors.ts";

/** The pole plans its rota (analysts, and administrators who set the service up); the task force reads it. */
const EDITORS: Access = ["admin", "analyst"];
const READERS: Access = ["admin", "analyst", "taskforce"];

const personView = (p: OnCallSlotRow["primary"]) => ({
  id: p.id,
  displayName: p.displayName,
  email: p.email,
  phone: p.phone,
  active: p.active,
});

export function toOnCallSlotView(row: OnCallSlotRow) {
  return {
    id: row.id,
    startMinute: row.startMinute,
    endMinute: row.endMinute,
    primary: personView(row.primary),
    backup: row.backup ? personView(row.backup) : null,
    note: row.note,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What the trail keeps of a slot: its span, its people by id and name, its note. */
function auditView(row: OnCallSlotRow) {
  return {
    slot: formatWeekSpan(row),
    startMinute: row.startMinute,
    endMinute: row.endMinute,
    primaryUserId: row.primary.id,
    primary: row.primary.displayName,
    backupUserId: row.backup?.id ?? null,
    backup: row.backup?.displayName ?? null,
    note: row.note,
  };
}

interface SlotValues {
  startMinute: number;
  endMinute: number;
  primaryUserId: string;
  backupUserId: string | null;
  note: string | null;
}

/** The weekly on-call rota of the pole: who is reminded of service levels, who is alerted when one is missed. */
const rosterRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const timeZone = app.config.REGION_TIMEZONE;

  /** The rules the database would refuse less clearly: a span inside the week, two distinct active analysts. */
  async function checkSlot(tx: Tx, v: SlotValues) {
    const errors: FieldError[] = [];
    if (v.startMinute >= v.endMinute) {
      errors.push({ field: "/endMinute", message: "must be after startMinute" });
    }
    if (v.backupUserId && v.backupUserId === v.primaryUserId) {
      errors.push({ field: "/backupUserId", message: "must differ from primaryUserId" });
    }
    const ids = [v.primaryUserId, ...(v.backupUserId ? [v.backupUserId] : [])];
    const found = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(inArray(users.id, ids), eq(users.role, "analyst"), eq(users.active, true)));
    const ok = new Set(found.map((u) => u.id));
    if (!ok.has(v.primaryUserId)) {
      errors.push({ field: "/primaryUserId", message: "is not an active analyst" });
    }
    if (v.backupUserId && !ok.has(v.backupUserId)) {
      errors.push({ field: "/backupUserId", message: "is not an active analyst" });
    }
    if (errors.length > 0) throw new ValidationError(errors);
  }

  /** Runs a write of the rota; a slot overlapping another becomes a 409 naming that slot. */
  async function writeSlot<T>(
    span: () => { startMinute: number; endMinute: number },
    exceptId: string | undefined,
    work: () => Promise<T>,
  ) {
    try {
      return await work();
    } catch (err) {
      if (pgCode(err) !== "23P01") throw err;
      const [other] = await overlappingOnCallSlots(db, span(), exceptId);
      const what = other
        ? `the slot ${other.id} (${formatWeekSpan(other)}, ${other.primary.displayName})`
        : "another slot";
      throw new ConflictError("on_call_overlap", `The slot overlaps ${what}`, {
        errors: [{ field: "/startMinute", message: `overlaps ${what}` }],
      });
    }
  }

  app.get(
    "/on-call/slots",
    {
      config: { access: READERS },
      schema: {
        tags: ["roster"],
        operationId: "listOnCallSlots",
        summary: "The pole's weekly on-call rota, in the order of the week",
        description:
          "The pole's weekly on-call rota: each slot's span in the week, the person on duty and the " +
          "backup, in the order of the week.",
        response: { 200: OnCallRotaSchema, ...problems(401, 403) },
      },
    },
    async () => ({ timeZone, slots: (await listOnCallSlots(db)).map(toOnCallSlotView) }),
  );

  app.get(
    "/on-call/candidates",
    {
      config: { access: EDITORS },
      schema: {
        tags: ["roster"],
        operationId: "listOnCallCandidates",
        summary: "Who may be put on the rota: the pole's active analysts",
        description: "The people who may be put on the rota: the pole's active analysts.",
        response: { 200: Type.Array(OnCallPersonSchema), ...problems(401, 403) },
      },
    },
    async () =>
      db
        .select({
          id: users.id,
          displayName: users.displayName,
          email: users.email,
          phone: users.phone,
          active: users.active,
        })
        .from(users)
        .where(and(eq(users.role, "analyst"), eq(users.active, true)))
        .orderBy(asc(users.displayName), asc(users.id)),
  );

  app.get(
    "/on-call/now",
    {
      config: { access: READERS },
      schema: {
        tags: ["roster"],
        operationId: "getOnCallNow",
        summary: "Who is on duty and who is the backup right now, and when that changes next",
        description:
          "Who is on duty and who is the backup at this moment, and when the next change of duty happens.",
        response: { 200: OnCallNowSchema, ...problems(401, 403) },
      },
    },
    async () => {
      const at = new Date();
      const [now, slots] = await Promise.all([onCallAt(db, at, timeZone), listOnCallSlots(db)]);
      const next = nextRotaChange(slots, at, timeZone);
      const onDuty = (p: typeof now.primary) => (p ? personView(p) : null);
      return {
        at: at.toISOString(),
        timeZone,
        slot: now.slot ? toOnCallSlotView(now.slot) : null,
        primary: onDuty(now.primary),
        backup: onDuty(now.backup),
        nextChange: next
          ? { at: next.at.toISOString(), slot: next.slot ? toOnCallSlotView(next.slot) : null }
          : null,
      };
    },
  );

  app.post(
    "/on-call/slots",
    {
      config: { access: EDITORS },
      schema: {
        tags: ["roster"],
        operationId: "createOnCallSlot",
        summary: "Add a slot to the rota; a slot overlapping another is refused (409)",
        description:
          "Adds a slot to the rota with its span, the person on duty and the backup. A slot overlapping " +
          "another is refused (409).",
        body: OnCallSlotCreateSchema,
        response: { 201: OnCallSlotSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const values: SlotValues = {
        startMinute: body.startMinute,
        endMinute: body.endMinute,
        primaryUserId: body.primaryUserId,
        backupUserId: body.backupUserId ?? null,
        note: body.note?.trim() || null,
      };
      const row = await writeSlot(
        () => values,
        undefined,
        () =>
          db.transaction(async (tx) => {
            await checkSlot(tx, values);
            const [inserted] = await tx.insert(onCallSlots).values(values).returning({ id: onCallSlots.id });
            const [created] = await listOnCallSlots(tx, [inserted!.id]);
            await writeAudit(tx, auditActor(request), {
              action: "oncall.create",
              objectKind: "oncall",
              objectId: created!.id,
              objectLabel: formatWeekSpan(created!),
              after: auditView(created!),
            });
            return created!;
          }),
      );
      return reply.code(201).send(toOnCallSlotView(row));
    },
  );

  app.patch(
    "/on-call/slots/:id",
    {
      config: { access: EDITORS },
      schema: {
        tags: ["roster"],
        operationId: "updateOnCallSlot",
        summary: "Change a slot of the rota: its span, its people or its note",
        description:
          "Changes a slot's span, people or note. A change that would make it overlap another slot is " +
          "refused (409).",
        params: IdParamsSchema,
        body: OnCallSlotPatchSchema,
        response: { 200: OnCallSlotSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      let span = { startMinute: 0, endMinute: 0 };
      const row = await writeSlot(
        () => span,
        id,
        () =>
          db.transaction(async (tx) => {
            const [locked] = await tx.select().from(onCallSlots).where(eq(onCallSlots.id, id)).for("update");
            if (!locked) throw new NotFoundError("On-call slot");
            const [before] = await listOnCallSlots(tx, [id]);
            const values: SlotValues = {
              startMinute: body.startMinute ?? locked.startMinute,
              endMinute: body.endMinute ?? locked.endMinute,
              primaryUserId: body.primaryUserId ?? locked.primaryUserId,
              backupUserId: body.backupUserId === undefined ? locked.backupUserId : body.backupUserId,
              note: body.note === undefined ? locked.note : body.note?.trim() || null,
            };
            span = values;
            await checkSlot(tx, values);
            await tx
              .update(onCallSlots)
              .set({ ...values, updatedAt: new Date() })
              .where(eq(onCallSlots.id, id));
            const [after] = await listOnCallSlots(tx, [id]);
            await writeAudit(tx, auditActor(request), {
              action: "oncall.update",
              objectKind: "oncall",
              objectId: id,
              objectLabel: formatWeekSpan(after!),
              before: auditView(before!),
              after: auditView(after!),
            });
            return after!;
          }),
      );
      return toOnCallSlotView(row);
    },
  );

  app.delete(
    "/on-call/slots/:id",
    {
      config: { access: EDITORS },
      schema: {
        tags: ["roster"],
        operationId: "deleteOnCallSlot",
        summary: "Remove a slot from the rota (the trail keeps it)",
        description: "Removes a slot from the rota; the audit trail keeps what it was.",
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await db.transaction(async (tx) => {
        const [row] = await listOnCallSlots(tx, [id]);
        if (!row) throw new NotFoundError("On-call slot");
        const deleted = await tx
          .delete(onCallSlots)
          .where(eq(onCallSlots.id, id))
          .returning({ id: onCallSlots.id });
        if (deleted.length === 0) throw new NotFoundError("On-call slot");
        await writeAudit(tx, auditActor(request), {
          action: "oncall.delete",
          objectKind: "oncall",
          objectId: id,
          objectLabel: formatWeekSpan(row),
          before: auditView(row),
        });
      });
      return reply.code(204).send(null);
    },
  );
};

export default rosterRoutes;
