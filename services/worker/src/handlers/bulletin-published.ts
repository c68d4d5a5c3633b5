import type { OutboxJob } from "@pris/domain";
import type { WorkerContext } from "../context.ts";
import { markProcessed } from "./outbox-row.ts";

/**
 * The deliveries were written with the bulletin, in the API's transaction: the fan-out finds them by
 * itself. This only saves the wait for its next poll.
 */
export async function handleBulletinPublished(
  ctx: WorkerContext,
  job: OutboxJob,
): Promise<{ status: "woken" }> {
  ctx.wakeBulletinFanout();
  await markProcessed(ctx, job.outboxId, null);
  return { status: "woken" };
}
