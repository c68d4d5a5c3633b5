import { sessions, signInFailures } from "@pris/db";
import { and, isNotNull, lt, or, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** Far longer than any throttle window (LOGIN_RATE_LIMIT_WINDOW_SECONDS): older failures count for nothing. */
export const SIGN_IN_FAILURES_KEPT_MS = 86_400_000;

/**
 * Hourly: the failed sign-ins older than a day (the throttle reads only recent ones), and the sessions that
 * ended or expired more than SESSION_RETENTION_DAYS ago (kept until then: who was signed in, from where,
 * when an incident is investigated).
 */
export async function pruneSignInRecords(
  ctx: Pick<WorkerContext, "db" | "config" | "logger">,
  now = new Date(),
): Promise<{ failures: number; sessions: number }> {
  const failuresCutoff = new Date(now.getTime() - SIGN_IN_FAILURES_KEPT_MS);
  const failures = await ctx.db
    .delete(signInFailures)
    .where(lt(signInFailures.at, failuresCutoff))
    .returning({ one: sql`1` });
  const sessionsCutoff = new Date(now.getTime() - ctx.config.SESSION_RETENTION_DAYS * 86_400_000);
  const ended = await ctx.db
    .delete(sessions)
    .where(
      or(
        and(isNotNull(sessions.endedAt), lt(sessions.endedAt, sessionsCutoff)),
        lt(sessions.expiresAt, sessionsCutoff),
      ),
    )
    .returning({ one: sql`1` });
  const pruned = { failures: failures.length, sessions: ended.length };
  if (pruned.failures + pruned.sessions > 0) ctx.logger.info(pruned, "sign-in records pruned");
  return pruned;
}
