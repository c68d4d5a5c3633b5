import { mailIntake } from "@pris/db";
import { and, asc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** Messages blanked per run; the next run (the next day) takes the rest. */
const BATCH = 1000;

/**
 * A message the intake quarantined (unknown sender, failed authentication, too large…) that the pole never
 * attached to an establishment has no incident whose retention would end it: after
 * RETENTION_QUARANTINE_DAYS from its receipt its content is blanked — text, subject, the sender's address
 * and name, the attachments' names — whether the pole discarded it or never looked. The row stays, with
 * its Message-ID and place in the mailbox (so the message is never processed again), its size, reason,
 * the authentication verdicts and each attachment's size, type and SHA-256; `purged_at` says when. A
 * purged message leaves the pole's review list and can no longer be attached. What is purged is not
 * touched again.
 */
export async function purgeQuarantinedMessages(
  ctx: Pick<WorkerContext, "db" | "config" | "logger">,
  now = new Date(),
): Promise<{ purged: string[] }> {
  const cutoff = new Date(now.getTime() - ctx.config.RETENTION_QUARANTINE_DAYS * 86_400_000);
  const due = and(
    eq(mailIntake.outcome, "quarantined"),
    isNull(mailIntake.incidentId),
    isNull(mailIntake.purgedAt),
    lt(mailIntake.receivedAt, cutoff),
  );
  // One statement: the rows locked, skipping a message an analyst is attaching at this moment (it is
  // taken next time, or, attached, it is no longer a quarantined message without incident); each
  // attachment keeps all but its name, in its order.
  const rows = await ctx.db
    .update(mailIntake)
    .set({
      bodyText: "",
      subject: "",
      fromAddress: null,
      fromName: null,
      attachments: sql`(
        SELECT coalesce(jsonb_agg(a || '{"name": ""}'::jsonb ORDER BY n), '[]'::jsonb)
        FROM jsonb_array_elements(${mailIntake.attachments}) WITH ORDINALITY AS e(a, n))`,
      purgedAt: now,
    })
    .where(
      inArray(
        mailIntake.id,
        ctx.db
          .select({ id: mailIntake.id })
          .from(mailIntake)
          .where(due)
          .orderBy(asc(mailIntake.receivedAt), asc(mailIntake.id))
          .limit(BATCH)
          .for("update", { skipLocked: true }),
      ),
    )
    .returning({ id: mailIntake.id });
  const purged = rows.map((r) => r.id);
  if (purged.length > 0) {
    ctx.logger.info({ messages: purged.length, cutoff }, "quarantined e-mails purged");
  }
  return { purged };
}
