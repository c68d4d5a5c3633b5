import type { OutboxJob } from "@pris/domain";
import type { WorkerContext } from "../context.ts";
import { type ReconcileResult, reconcileIncidentTimers } from "../timers/reconcile-timers.ts";
import { markProcessed } from "./outbox-row.ts";

export type IncidentChangedResult = ReconcileResult;

/**
 * Any change to an incident (transition, assignment, qualification, clock recorded) may change
 * which timers it needs: they are planned again from its state. Replays are harmless — planning
 * the same state twice changes nothing — so the processed mark only saves the work.
 */
export async function handleIncidentChanged(
  ctx: WorkerContext,
  job: OutboxJob,
): Promise<IncidentChangedResult> {
  const result = await reconcileIncidentTimers(ctx.db, ctx.config, job.aggregateId);
  if (result.status === "incident-missing") {
    ctx.logger.error({ outboxId: job.outboxId, incidentId: job.aggregateId }, "changed incident not found");
  }
  await markProcessed(ctx, job.outboxId, result.status === "incident-missing" ? "incident not found" : null);
  return result;
}
