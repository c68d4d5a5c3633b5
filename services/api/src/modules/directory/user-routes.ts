import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { establishments, ghts, users } from "@pris/db";
import {
  Enum,
  type FieldError,
  IdParamsSchema,
  type Role,
  UserCreateSchema,
  UserListQuerySchema,
  UserPageSchema,
  UserPatchSchema,
  UserSchema,
  UuidSchema,
} from "@pris/domain";
import { and, asc, count, eq, gt, ilike, inArray, or, sql } from "drizzle-orm";
import Type from "typebox";
import { hashPassword } from "../../auth/passwords.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor, problems } from "../../http.ts";

type UserRow = typeof users.$inferSelect;

function toUserView(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    phone: row.phone,
    role: row.role as Role,
    establishmentId: row.establishmentId,
    ghtId: row.ghtId,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
  };
}

const emailTaken = () =>
  new ConflictError("email_taken", "A user with this e-mail exists", {
    errors: [{ field: "/email", message: "is already used" }],
  });

/** The directory's people: administrators manage them; the pole reads its own roster to assign incidents. */
const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  /** An RSSI belongs to an establishment or a GHT; other roles to neither. */
  async function checkAttachment(role: Role, establishmentId: string | null, ghtId: string | null) {
    const errors: FieldError[] = [];
    if (role === "rssi" && !establishmentId && !ghtId) {
      errors.push({ field: "/establishmentId", message: "is required for an RSSI (or give ghtId)" });
    }
    if (role !== "rssi" && (establishmentId || ghtId)) {
      errors.push({ field: establishmentId ? "/establishmentId" : "/ghtId", message: "is only for an RSSI" });
    }
    if (establishmentId) {
      const [e] = await db
        .select({ id: establishments.id })
        .from(establishments)
        .where(eq(establishments.id, establishmentId));
      if (!e) errors.push({ field: "/establishmentId", message: "is not a known establishment" });
    }
    if (ghtId) {
      const [g] = await db.select({ id: ghts.id }).from(ghts).where(eq(ghts.id, ghtId));
      if (!g) errors.push({ field: "/ghtId", message: "is not a known GHT" });
    }
    if (errors.length > 0) throw new ValidationError(errors);
  }

  async function findUser(id: string) {
    const [row] = await db.select().from(users).where(eq(users.id, id));
    if (!row) throw new NotFoundError("User");
    return row;
  }

  app.get(
    "/users",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "listUsers",
        summary: "Users (administrators)",
        querystring: UserListQuerySchema,
        response: { 200: UserPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 20;
      const filters = and(
        q.role ? eq(users.role, q.role) : undefined,
        q.establishmentId ? eq(users.establishmentId, q.establishmentId) : undefined,
        q.q
          ? or(
              ilike(users.email, `%${q.q.replace(/[\\%_]/g, "\\$&")}%`),
              ilike(users.displayName, `%${q.q.replace(/[\\%_]/g, "\\$&")}%`),
            )
          : undefined,
      );
      const after = decodeCursor(q.cursor, 2);
      const rows = await db
        .select()
        .from(users)
        .where(
          and(
            filters,
            after
              ? or(gt(users.email, after[0]!), and(eq(users.email, after[0]!), gt(users.id, after[1]!)))
              : undefined,
          ),
        )
        .orderBy(asc(users.email), asc(users.id))
        .limit(limit + 1);
      const [{ total }] = (await db.select({ total: count() }).from(users).where(filters)) as [
        { total: number },
      ];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toUserView),
        total,
        nextCursor: rows.length > limit && last ? encodeCursor([last.email, last.id]) : null,
      };
    },
  );

  app.get(
    "/pole/members",
    {
      config: { access: ["analyst", "taskforce"] },
      schema: {
        tags: ["directory"],
        operationId: "listPoleMembers",
        summary: "The pole's active analysts and task-force members, to assign incidents to",
        response: {
          200: Type.Array(
            Type.Object({
              id: UuidSchema,
              displayName: Type.String(),
              role: Enum(["analyst", "taskforce"] as const),
            }),
          ),
          ...problems(401, 403),
        },
      },
    },
    async () => {
      const rows = await db
        .select({ id: users.id, displayName: users.displayName, role: users.role })
        .from(users)
        .where(and(eq(users.active, true), inArray(users.role, ["analyst", "taskforce"])))
        .orderBy(asc(users.role), asc(users.displayName));
      return rows as { id: string; displayName: string; role: "analyst" | "taskforce" }[];
    },
  );

  app.get(
    "/users/:id",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "getUser",
        summary: "One user (administrators)",
        params: IdParamsSchema,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      return toUserView(await findUser(request.params.id));
    },
  );

  app.post(
    "/users",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "createUser",
        summary: "Create a user (administrators)",
        body: UserCreateSchema,
        response: { 201: UserSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const establishmentId = body.establishmentId ?? null;
      const ghtId = body.ghtId ?? null;
      await checkAttachment(body.role, establishmentId, ghtId);
      const [existing] = await db
        .select({ id: users.id })
        .from(users)
        .where(sql`lower(${users.email}) = ${body.email.toLowerCase()}`);
      if (existing) throw emailTaken();
      const [row] = await db
        .insert(users)
        .values({
          email: body.email.toLowerCase(),
          displayName: body.displayName,
          phone: body.phone ?? null,
          role: body.role,
          establishmentId,
          ghtId,
          passwordHash: await hashPassword(body.password),
        })
        .onConflictDoNothing()
        .returning();
      if (!row) throw emailTaken();
      return reply.code(201).send(toUserView(row));
    },
  );

  app.patch(
    "/users/:id",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "updateUser",
        summary: "Update a user: role, attachment, password, deactivation (administrators)",
        params: IdParamsSchema,
        body: UserPatchSchema,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const current = await findUser(request.params.id);
      const { password, ...body } = request.body;
      const role = body.role ?? (current.role as Role);
      const establishmentId =
        body.establishmentId !== undefined ? body.establishmentId : current.establishmentId;
      const ghtId = body.ghtId !== undefined ? body.ghtId : current.ghtId;
      await checkAttachment(role, establishmentId, ghtId);
      const [row] = await db
        .update(users)
        .set({
          ...body,
          ...(password ? { passwordHash: await hashPassword(password) } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, current.id))
        .returning();
      // Other processes hear of it through PostgreSQL; this one forgets at once.
      app.directoryCache.invalidate();
      return toUserView(row!);
    },
  );
};

export default userRoutes;
