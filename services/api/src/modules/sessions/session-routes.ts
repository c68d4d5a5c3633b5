import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  endSession,
  endUserSessions,
  findUserRecord,
  listOpenSessions,
  type SessionRow,
  writeAudit,
} from "@pris/db";
import { IdParamsSchema, type SessionInfo, SessionListSchema, SessionsEndedSchema } from "@pris/domain";
import Bowser from "bowser";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { PEOPLE, requireUser } from "../../auth/principal.ts";
import { NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";

/** "Firefox, Windows" — what a person recognises of a device, from its user agent. */
function deviceOf(userAgent: string | null): string {
  if (!userAgent) return "Appareil inconnu";
  const { browser, os } = Bowser.parse(userAgent);
  const parts = [browser.name, os.name].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(", ") : "Appareil inconnu";
}

function sessionInfo(row: SessionRow, currentId: string | undefined): SessionInfo {
  return {
    id: row.id,
    current: row.id === currentId,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    ip: row.ip,
    userAgent: row.userAgent,
    device: deviceOf(row.userAgent),
    methods: row.amr,
    provider: row.provider,
  };
}

/** "Mes sessions": one's open sessions, and ending them; an administrator ends anyone's. */
const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const idle = app.config.SESSION_IDLE_SECONDS;

  app.get(
    "/auth/sessions",
    {
      config: { access: PEOPLE },
      schema: {
        tags: ["auth"],
        operationId: "listMySessions",
        summary: "My open sessions, most recently used first; `current` marks this request's",
        description:
          "The caller's open sessions, most recently used first, with their device, address and times; " +
          "`current` marks the one this request uses.",
        response: { 200: SessionListSchema, ...problems(401, 403) },
      },
    },
    async (request) => {
      const user = requireUser(request.principal);
      const rows = await listOpenSessions(db, user.id, idle);
      return { items: rows.map((row) => sessionInfo(row, request.session?.id)) };
    },
  );

  app.delete(
    "/auth/sessions/:id",
    {
      config: { access: PEOPLE },
      schema: {
        tags: ["auth"],
        operationId: "endMySession",
        summary: "End one of my sessions (this one too: that is a logout)",
        description:
          "Ends one of the caller's sessions at once, on every replica. Ending the current one is a " +
          "logout.",
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request.principal);
      if (!(await endSession(db, request.params.id, user.id, "logout"))) throw new NotFoundError("Session");
      app.forgetSessions();
      if (request.params.id === request.session?.id) app.clearSession(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auth/sessions/end-others",
    {
      config: { access: PEOPLE },
      schema: {
        tags: ["auth"],
        operationId: "endMyOtherSessions",
        summary: "End all my sessions but this one",
        description:
          "Ends every session of the caller except the one this request uses, and says how many were " +
          "ended.",
        response: { 200: SessionsEndedSchema, ...problems(401, 403) },
      },
    },
    async (request) => {
      const user = requireUser(request.principal);
      const ended = await endUserSessions(db, user.id, "logout", request.session?.id);
      app.forgetSessions();
      return { ended };
    },
  );

  app.get(
    "/users/:id/sessions",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "listUserSessions",
        summary: "A person's open sessions (administrators)",
        description: "A person's open sessions with their device, address and times. Administrators only.",
        params: IdParamsSchema,
        response: { 200: SessionListSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      if (!(await findUserRecord(db, request.params.id))) throw new NotFoundError("User");
      const rows = await listOpenSessions(db, request.params.id, idle);
      return { items: rows.map((row) => sessionInfo(row, request.session?.id)) };
    },
  );

  app.post(
    "/users/:id/sessions/end",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "endUserSessions",
        summary: "End all of a person's sessions (administrators; audited as session.end_all)",
        description:
          "Ends all of a person's sessions at once, e.g. when a device is lost; audited as " +
          "`session.end_all`. Administrators only.",
        params: IdParamsSchema,
        response: { 200: SessionsEndedSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const ended = await db.transaction(async (tx) => {
        const record = await findUserRecord(tx, id);
        if (!record) throw new NotFoundError("User");
        const count = await endUserSessions(tx, id, "admin", request.session?.id);
        await writeAudit(tx, auditActor(request), {
          action: "session.end_all",
          objectKind: "user",
          objectId: id,
          objectLabel: `${record.user.displayName} (${record.user.email})`,
          after: { sessionsEnded: count },
        });
        return count;
      });
      app.forgetSessions();
      return { ended };
    },
  );
};

export default sessionRoutes;
