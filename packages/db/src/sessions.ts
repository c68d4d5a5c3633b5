import { and, eq, isNull, ne } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { sessions } from "./schema-auth.ts";

export type SessionEndReason =
  | "logout"
  | "password_change"
  | "password_reset"
  | "deactivated"
  | "role_change"
  | "admin"
  | "sso_logout"
  | "expired";

/**
 * Ends every open session of a person (but `except`, the one making a change it keeps), in the caller's
 * transaction: a password change, a reset, a deactivation or a role change ends them all. Returns how many.
 */
export async function endUserSessions(
  tx: Tx,
  userId: string,
  reason: SessionEndReason,
  except?: string,
): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: new Date(), endReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.endedAt),
        except ? ne(sessions.id, except) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return ended.length;
}
