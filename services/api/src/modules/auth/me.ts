import { type Db, establishments, ghts, users } from "@pris/db";
import type { Me } from "@pris/domain";
import { asc, eq, inArray } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";

/** The signed-in person as the web app needs them: who, which role, which establishments. */
export async function loadMe(db: Db, principal: Extract<Principal, { kind: "user" }>): Promise<Me> {
  const [user] = await db.select().from(users).where(eq(users.id, principal.id));
  if (!user) throw new Error("principal without user row");
  const [ght] = user.ghtId
    ? await db.select({ id: ghts.id, name: ghts.name }).from(ghts).where(eq(ghts.id, user.ghtId))
    : [];
  const ests =
    principal.establishmentIds.length > 0
      ? await db
          .select({
            id: establishments.id,
            finess: establishments.finess,
            name: establishments.name,
            category: establishments.category,
          })
          .from(establishments)
          .where(inArray(establishments.id, principal.establishmentIds))
          .orderBy(asc(establishments.name))
      : [];
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    phone: user.phone,
    role: principal.role,
    ght: ght ?? null,
    establishments: ests,
  };
}
