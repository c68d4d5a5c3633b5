import { mailDeliveries } from "@pris/db";
import { QUEUE_NAMES, SendMailJobSchema } from "@pris/domain";
import { and, asc, inArray, lt, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { addUnique, assertPayload, sendMailJobOptions } from "../queues.ts";

const SWEEP_LIMIT = 1_000;

/**
 * PostgreSQL knows every e-mail still owed; Redis may not (wiped, failed over to an empty replica,
 * a job that gave up while its row stayed deferred). Deliveries untouched for a while get their
 * job again. A job still alive — waiting, or delayed for its next retry — keeps its id, so this
 * adds nothing for it.
 */
export async function sweepMailDeliveries(ctx: WorkerContext): Promise<{ requeued: number }> {
  const { db, queues, tuning, stuckAfterMs, logger } = ctx;
  const stuck = await db
    .select({ id: mailDeliveries.id, template: mailDeliveries.template })
    .from(mailDeliveries)
    .where(
      and(
        inArray(mailDeliveries.status, ["queued", "deferred"]),
        lt(mailDeliveries.updatedAt, sql`now() - make_interval(secs => ${stuckAfterMs / 1000})`),
      ),
    )
    .orderBy(asc(mailDeliveries.updatedAt))
    .limit(SWEEP_LIMIT);
  for (const d of stuck) {
    const data = assertPayload(QUEUE_NAMES.sendMail, SendMailJobSchema, { deliveryId: d.id });
    await addUnique(queues.sendMail, d.template, data, sendMailJobOptions(d.id, tuning));
  }
  if (stuck.length > 0)
    logger.info({ count: stuck.length }, "pending e-mail deliveries checked and enqueued");
  return { requeued: stuck.length };
}
