import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { deleteAllFactors, endUserSessions, listPolicies, setPolicy, users, writeAudit } from "@pris/db";
import {
  IdParamsSchema,
  ROLES,
  type Role,
  RoleParamsSchema,
  type SecondFactorPolicy,
  SecondFactorPolicySchema,
  SecondFactorPolicyUpdateSchema,
} from "@pris/domain";
import { eq } from "drizzle-orm";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";

const toPolicy = (row: { role: string; required: boolean; requiredFrom: Date | null; updatedAt: Date }) => ({
  role: row.role as Role,
  required: row.required,
  requiredFrom: row.requiredFrom?.toISOString() ?? null,
  updatedAt: row.updatedAt.toISOString(),
});

/** The administrator's side: the second-factor policy per role, and a person's factors reset when lost. */
const secondFactorAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  app.get(
    "/second-factor-policies",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["second-factor"],
        operationId: "listSecondFactorPolicies",
        summary: "Whether each role must use a second factor, and from when (administrators)",
        description:
          "For each role, whether its members must use a second factor and from which date. Administrators " +
          "only.",
        response: { 200: Type.Array(SecondFactorPolicySchema), ...problems(401, 403) },
      },
    },
    async () => {
      const rows = await listPolicies(db);
      const known = new Set<string>(ROLES);
      return rows.filter((r) => known.has(r.role)).map(toPolicy);
    },
  );

  app.put(
    "/second-factor-policies/:role",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["second-factor"],
        operationId: "updateSecondFactorPolicy",
        summary: "Require or offer a second factor for a role, from a date (administrators)",
        description:
          "required with a requiredFrom in the future: offered until then (a rollout period), required from then on.",
        params: RoleParamsSchema,
        body: SecondFactorPolicyUpdateSchema,
        response: { 200: SecondFactorPolicySchema, ...problems(400, 401, 403) },
      },
    },
    async (request): Promise<SecondFactorPolicy> => {
      const { role } = request.params;
      const { required, requiredFrom } = request.body;
      return db.transaction(async (tx) => {
        const { before, after } = await setPolicy(
          tx,
          role,
          { required, requiredFrom: requiredFrom ? new Date(requiredFrom) : null },
          request.principal?.id ?? null,
        );
        await writeAudit(tx, auditActor(request), {
          action: "mfa.policy_update",
          objectKind: "second_factor_policy",
          objectId: role,
          objectLabel: role,
          before: before ? { required: before.required, requiredFrom: before.requiredFrom } : null,
          after: { required: after.required, requiredFrom: after.requiredFrom },
        });
        return toPolicy(after);
      });
    },
  );

  app.post(
    "/users/:id/second-factor/reset",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["second-factor"],
        operationId: "resetUserSecondFactor",
        summary:
          "Remove every second factor of a person who lost theirs, and end their sessions (administrators)",
        description:
          "At their next sign-in the person enrols again (their role permitting, or requiring, it). Audited as mfa.reset.",
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await db.transaction(async (tx) => {
        const [user] = await tx
          .select({ id: users.id, email: users.email, displayName: users.displayName })
          .from(users)
          .where(eq(users.id, id));
        if (!user) throw new NotFoundError("User");
        const removed = await deleteAllFactors(tx, id);
        const sessions = await endUserSessions(tx, id, "admin");
        await writeAudit(tx, auditActor(request), {
          action: "mfa.reset",
          objectKind: "user",
          objectId: id,
          objectLabel: `${user.displayName} <${user.email}>`,
          after: { ...removed, sessionsEnded: sessions },
        });
      });
      app.forgetSessions();
      return reply.code(204).send(null);
    },
  );
};

export default secondFactorAdminRoutes;
