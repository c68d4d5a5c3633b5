import type { Db } from "@pris/db";
import { SYSTEM_ACTOR, users, writeAudit } from "@pris/db";
import { eq, sql } from "drizzle-orm";
import { hashPassword } from "./auth/passwords.ts";

/** The first administrator of a real deployment, from ADMIN_EMAIL / ADMIN_PASSWORD, only if none exists. */
export async function ensureFirstAdmin(db: Db, email: string | undefined, password: string | undefined) {
  if (!email || !password) return false;
  return db.transaction(async (tx) => {
    // Several API replicas may start together: one creates the admin.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727020261)`);
    const [admin] = await tx.select({ id: users.id }).from(users).where(eq(users.role, "admin")).limit(1);
    if (admin) return false;
    const [created] = await tx
      .insert(users)
      .values({
        email: email.toLowerCase(),
        displayName: "Administrateur",
        role: "admin",
        passwordHash: await hashPassword(password),
      })
      .returning({ id: users.id, email: users.email, role: users.role });
    await writeAudit(tx, SYSTEM_ACTOR, {
      action: "user.create",
      objectKind: "user",
      objectId: created!.id,
      objectLabel: created!.email,
      after: { email: created!.email, role: created!.role, source: "ADMIN_EMAIL" },
    });
    return true;
  });
}
