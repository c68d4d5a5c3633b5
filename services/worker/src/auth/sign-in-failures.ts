import { signInFailures } from "@pris/db";
import { lt, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** Far longer than any throttle window (LOGIN_RATE_LIMIT_WINDOW_SECONDS): older failures count for nothing. */
export const SIGN_IN_FAILURES_KEPT_MS = 86_400_000;

/** The API's sign-in throttle reads only recent failures: hourly, the rows older than a day are deleted. */
export async function pruneSignInFailures(
  ctx: Pick<WorkerContext, "db" | "logger">,
  now = new Date(),
): Promise<{ deleted: number }> {
  const cutoff = new Date(now.getTime() - SIGN_IN_FAILURES_KEPT_MS);
  const deleted = await ctx.db
    .delete(signInFailures)
    .where(lt(signInFailures.at, cutoff))
    .returning({ one: sql`1` });
  if (deleted.length > 0) ctx.logger.info({ deleted: deleted.length, cutoff }, "sign-in failures pruned");
  return { deleted: deleted.length };
}
