import { mailDomain } from "@pris/config";
import {
  checkpointFile,
  checkpointIsAuthentic,
  currentLogChain,
  issueLogCheckpoint,
  logCheckpoints,
  mailDeliveries,
  type Tx,
  users,
} from "@pris/db";
import { formatInZone } from "@pris/domain";
import { and, desc, eq } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { type RenderedMail, renderLogCheckpoint } from "../mail/templates.ts";
import { enqueueOwedDeliveries } from "../queues.ts";

export function logCheckpointMessageId(checkpointId: string, userId: string, domain: string): string {
  return `<log-checkpoint.${checkpointId}.${userId}@${domain}>`;
}

/** A day and a little: the catch-up only fills a day the daily job missed (worker down at its hour). */
const CATCH_UP_AFTER_MS = 25 * 3600_000;

export interface LogCheckpointResult {
  status: "issued" | "not-due";
  seq?: number;
  heads?: number;
  recipients?: number;
}

/**
 * Issues the day's signed checkpoint of every main courante's head and e-mails it to each active ARS
 * user: what the ARS keeps is the outside copy no one with the database alone can rewrite. With
 * `onlyIfMissed`, issues one only when none was in the last day (the worker was down at the daily hour,
 * or the service has just been deployed and the legacy chains await their first attestation).
 */
export async function issueDailyCheckpoint(
  ctx: WorkerContext,
  options: { onlyIfMissed?: boolean; now?: Date } = {},
): Promise<LogCheckpointResult> {
  const { db, config, queues, tuning, logger } = ctx;
  const now = options.now ?? new Date();
  if (options.onlyIfMissed) {
    const [last] = await db
      .select({ issuedAt: logCheckpoints.issuedAt })
      .from(logCheckpoints)
      .orderBy(desc(logCheckpoints.seq))
      .limit(1);
    if (last && now.getTime() - last.issuedAt.getTime() < CATCH_UP_AFTER_MS) return { status: "not-due" };
  }
  const checkpoint = await issueLogCheckpoint(db, currentLogChain(), { region: config.REGION_CODE, now });
  const heads = (JSON.parse(checkpoint.document) as { heads: unknown[] }).heads.length;
  const recipients = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(eq(users.role, "ars"), eq(users.active, true)));
  if (recipients.length === 0) {
    logger.warn(
      { checkpoint: checkpoint.seq },
      "log checkpoint issued with no active ARS user to send it to",
    );
    return { status: "issued", seq: checkpoint.seq, heads, recipients: 0 };
  }
  const keys = recipients.map((u) => `log-checkpoint:${checkpoint.id}:${u.id}`);
  await db
    .insert(mailDeliveries)
    .values(
      recipients.map((u, i) => ({
        dedupeKey: keys[i]!,
        template: "log-checkpoint" as const,
        subjectId: checkpoint.id,
        userId: u.id,
        toAddress: u.email,
        messageId: logCheckpointMessageId(checkpoint.id, u.id, mailDomain(config)),
      })),
    )
    .onConflictDoNothing({ target: mailDeliveries.dedupeKey });
  await enqueueOwedDeliveries(db, queues.sendMail, keys, tuning);
  logger.info({ checkpoint: checkpoint.seq, heads, recipients: recipients.length }, "log checkpoint issued");
  return { status: "issued", seq: checkpoint.seq, heads, recipients: recipients.length };
}

/** The e-mail of one checkpoint, read when it is sent; none if the stored checkpoint no longer verifies. */
export async function renderLogCheckpointMail(
  tx: Tx,
  ctx: Pick<WorkerContext, "config">,
  checkpointId: string,
): Promise<RenderedMail | undefined> {
  const [checkpoint] = await tx.select().from(logCheckpoints).where(eq(logCheckpoints.id, checkpointId));
  if (!checkpoint || !checkpointIsAuthentic(currentLogChain(), checkpoint)) return undefined;
  const document = JSON.parse(checkpoint.document) as { heads: unknown[]; previousDigest: string | null };
  const file = checkpointFile(currentLogChain(), checkpoint);
  const mail = renderLogCheckpoint({
    seq: checkpoint.seq,
    regionName: ctx.config.REGION_NAME,
    issuedAt: formatInZone(checkpoint.issuedAt, ctx.config.REGION_TIMEZONE),
    heads: document.heads.length,
    digest: checkpoint.digest,
    previousDigest: document.previousDigest,
    keyId: checkpoint.keyId,
    publicKey: file.publicKey ?? "",
    fileName: checkpointFileName(ctx.config.REGION_CODE, checkpoint.seq),
  });
  return {
    ...mail,
    attachments: [
      {
        filename: checkpointFileName(ctx.config.REGION_CODE, checkpoint.seq),
        content: `${JSON.stringify(file, null, 2)}\n`,
        contentType: "application/json",
      },
    ],
  };
}

export function checkpointFileName(region: string, seq: number): string {
  return `pris-${region.toLowerCase()}-point-de-controle-${String(seq).padStart(5, "0")}.json`;
}
