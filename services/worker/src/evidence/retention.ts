import type { EvidenceStorage } from "@pris/db";
import { appendLogEntry, evidenceFiles, incidents, mailIntake } from "@pris/db";
import { and, asc, eq, exists, isNull, lt, or, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** Incidents purged per run; the next run (the next day) takes the rest. */
const BATCH = 200;

export interface RetentionPurge {
  incidentId: string;
  files: string[];
  mails: string[];
}

/**
 * Evidence files and e-mails of a closed incident are kept RETENTION_CLOSED_DAYS after its closure, then
 * purged: the stored bytes are deleted, the file's row is kept and marked (its SHA-256 stays in the
 * chain), the e-mail's body text is blanked. Per incident, in one transaction under its row lock, a
 * `retention_purged` entry in the main courante says what went (ids, names, SHA-256, sizes) and when.
 * The bytes are deleted before the commit: a failure leaves the rows unmarked and the next run deletes
 * again (deleting nothing is not an error). What is already purged is skipped: a second run does nothing.
 */
export async function purgeClosedIncidents(
  ctx: Pick<WorkerContext, "db" | "config" | "logger"> & { storage: EvidenceStorage },
  now = new Date(),
): Promise<{ purged: RetentionPurge[] }> {
  const days = ctx.config.RETENTION_CLOSED_DAYS;
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const due = and(eq(incidents.status, "closed"), lt(incidents.closedAt, cutoff));
  const candidates = await ctx.db
    .select({ id: incidents.id })
    .from(incidents)
    .where(
      and(
        due,
        or(
          exists(
            ctx.db
              .select({ one: sql`1` })
              .from(evidenceFiles)
              .where(and(eq(evidenceFiles.incidentId, incidents.id), isNull(evidenceFiles.purgedAt))),
          ),
          exists(
            ctx.db
              .select({ one: sql`1` })
              .from(mailIntake)
              .where(and(eq(mailIntake.incidentId, incidents.id), isNull(mailIntake.purgedAt))),
          ),
        ),
      ),
    )
    .orderBy(asc(incidents.closedAt))
    .limit(BATCH);

  const purged: RetentionPurge[] = [];
  for (const { id } of candidates) {
    const done = await ctx.db.transaction(async (tx) => {
      // Under the lock, and again: a reopened incident is not purged.
      const [incident] = await tx
        .select({ id: incidents.id, closedAt: incidents.closedAt })
        .from(incidents)
        .where(and(eq(incidents.id, id), due))
        .for("update");
      if (!incident) return null;
      const files = await tx
        .select()
        .from(evidenceFiles)
        .where(and(eq(evidenceFiles.incidentId, id), isNull(evidenceFiles.purgedAt)))
        .orderBy(asc(evidenceFiles.createdAt), asc(evidenceFiles.id));
      const mails = await tx
        .select({
          id: mailIntake.id,
          messageId: mailIntake.messageId,
          receivedAt: mailIntake.receivedAt,
          attachments: mailIntake.attachments,
        })
        .from(mailIntake)
        .where(and(eq(mailIntake.incidentId, id), isNull(mailIntake.purgedAt)))
        .orderBy(asc(mailIntake.receivedAt), asc(mailIntake.id));
      if (files.length === 0 && mails.length === 0) return null;
      const at = new Date();
      for (const file of files) await ctx.storage.remove(file.storageKey);
      for (const file of files) {
        await tx.update(evidenceFiles).set({ purgedAt: at }).where(eq(evidenceFiles.id, file.id));
      }
      for (const mail of mails) {
        await tx.update(mailIntake).set({ bodyText: "", purgedAt: at }).where(eq(mailIntake.id, mail.id));
      }
      await appendLogEntry(tx, {
        incidentId: id,
        kind: "retention_purged",
        visibility: "internal",
        at,
        body: {
          retentionDays: days,
          closedAt: incident.closedAt?.toISOString() ?? null,
          files: files.map((f) => ({
            id: f.id,
            name: f.originalName,
            sizeBytes: f.sizeBytes,
            sha256: f.sha256,
          })),
          mails: mails.map((m) => ({
            id: m.id,
            messageId: m.messageId,
            receivedAt: m.receivedAt.toISOString(),
            attachments: m.attachments.length,
          })),
        },
      });
      return { incidentId: id, files: files.map((f) => f.id), mails: mails.map((m) => m.id) };
    });
    if (done) purged.push(done);
  }
  if (purged.length > 0) {
    ctx.logger.info(
      {
        incidents: purged.length,
        files: purged.reduce((n, p) => n + p.files.length, 0),
        mails: purged.reduce((n, p) => n + p.mails.length, 0),
        cutoff,
      },
      "closed incidents' evidence and e-mails purged",
    );
  }
  return { purged };
}
