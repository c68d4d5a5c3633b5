import { mailDeliveries } from "@pris/db";
import { QUEUE_NAMES, SendMailJobSchema } from "@pris/domain";
import { and, asc, gt, inArray, not } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { firstAttemptOfBatched } from "../mail/delivery-fanout.ts";
import { addUnique, assertPayload, sendMailJobOptions } from "../queues.ts";

const PAGE = 1_000;

/**
 * PostgreSQL knows every e-mail still owed; Redis may not (wiped, restarted empty, failed over to an
 * empty replica, a job that gave up while its row stayed deferred). Redis is asked, for every owed
 * delivery, whether its job (the delivery id) still exists: one that is lost or failed for good gets
 * its job again; one alive — waiting, running, or delayed for its next retry — is left alone. The age
 * of a delivery does not matter, so a lost job is found at the next sweep, not minutes later. A delivery
 * committed whose job is being added at the same moment is harmless: the same job id makes it one job.
 */
export async function sweepMailDeliveries(ctx: WorkerContext): Promise<{ owed: number; requeued: number }> {
  const { db, queues, tuning, logger } = ctx;
  let owed = 0;
  let requeued = 0;
  let after: string | undefined;
  for (;;) {
    const page = await db
      .select({ id: mailDeliveries.id, template: mailDeliveries.template })
      .from(mailDeliveries)
      .where(
        and(
          inArray(mailDeliveries.status, ["queued", "deferred"]),
          // The delivery fan-out takes those from PostgreSQL: they have no job to lose.
          not(firstAttemptOfBatched!),
          after === undefined ? undefined : gt(mailDeliveries.id, after),
        ),
      )
      .orderBy(asc(mailDeliveries.id))
      .limit(PAGE);
    if (page.length === 0) break;
    owed += page.length;
    after = page.at(-1)!.id;
    const states = await Promise.all(page.map((d) => queues.sendMail.getJobState(d.id)));
    const lost = page.filter((_, i) => states[i] === "unknown" || states[i] === "failed");
    for (const d of lost) {
      const data = assertPayload(QUEUE_NAMES.sendMail, SendMailJobSchema, { deliveryId: d.id });
      await addUnique(queues.sendMail, d.template, data, sendMailJobOptions(d.id, tuning, d.template));
    }
    requeued += lost.length;
    if (page.length < PAGE) break;
  }
  if (requeued > 0) logger.warn({ owed, requeued }, "e-mail jobs lost by Redis enqueued again");
  return { owed, requeued };
}
