import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { listPoleMembers } from "@pris/db";
import {
  Enum,
  IdParamsSchema,
  UserCreateSchema,
  UserListQuerySchema,
  UserPageSchema,
  UserPatchSchema,
  UserSchema,
  UuidSchema,
} from "@pris/domain";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { problems } from "../../http.ts";
import { createUser, getUser, listUserPage, patchUser } from "./user-service.ts";

/** The directory's people: administrators manage them; the pole reads its own roster to assign incidents. */
const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  app.get(
    "/users",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "listUsers",
        summary: "Users, filtered and paged by e-mail (administrators)",
        description:
          "The platform's users, filtered by role, establishment, GHT, active or not and a search on name " +
          "or e-mail, paged with `cursor`. Administrators only.",
        querystring: UserListQuerySchema,
        response: { 200: UserPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listUserPage(db, request.query),
  );

  app.get(
    "/pole/members",
    {
      config: { access: ["analyst", "taskforce"] },
      schema: {
        tags: ["directory"],
        operationId: "listPoleMembers",
        summary: "The pole's active analysts and task-force members, to assign incidents to",
        description:
          "The regional pole's active analysts and task-force members, with their role: the people an " +
          "incident can be assigned to.",
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
    async () => listPoleMembers(db),
  );

  app.get(
    "/users/:id",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "getUser",
        summary: "One user (administrators)",
        description: "One user's account, as administrators manage it. Administrators only.",
        params: IdParamsSchema,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => getUser(db, request.params.id),
  );

  app.post(
    "/users",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "createUser",
        summary: "Create a user with a password the administrator sets (administrators)",
        description:
          "Creates an account directly, with a password the administrator chooses and must hand over; " +
          "inviting the person by e-mail is usually better. 409 when the e-mail is already used. " +
          "Administrators only.",
        body: UserCreateSchema,
        response: { 201: UserSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = await createUser(db, app.config, auditActor(request), request.body);
      return reply.code(201).send(user);
    },
  );

  app.patch(
    "/users/:id",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "updateUser",
        summary: "Update a user: name, phone, role, scope, password, activity (administrators)",
        description:
          "Refused with 409 `last_admin` when it would leave no active administrator, and with 409 " +
          "`only_rssi_with_open_incidents` when it would take away the only active RSSI of an establishment " +
          "with open incidents (the establishments are named in `errors`). Every change is in the audit trail.",
        params: IdParamsSchema,
        body: UserPatchSchema,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = await patchUser(db, app.config, auditActor(request), request.params.id, request.body);
      // Other processes hear of it through PostgreSQL; this one forgets at once.
      app.directoryCache.invalidate();
      app.forgetSessions();
      return user;
    },
  );
};

export default userRoutes;
