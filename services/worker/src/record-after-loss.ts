import type { Db, Tx } from "@pris/db";
import { sql } from "drizzle-orm";
import type { Logger } from "./logger.ts";

/** Long enough for a restart or a quick failover; short enough not to hold up a shutdown for long. */
const GIVE_UP_AFTER_MS = 15_000;
const DELAY_MS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * An e-mail is sent under the transaction that locks its delivery, and recorded sent by it. When that
 * transaction is lost after the SMTP server accepted the e-mail (its connection cut, the server
 * restarted), the e-mail is recorded here instead, on a new connection, so that it is not sent again.
 * Tried for about 15 s, while the server comes back. `write` must touch only rows still owed: another
 * worker may have taken, sent and recorded them meanwhile, or the lost commit may have landed after all.
 * Returns false when it gave up: those e-mails are sent again, within the duplicate bound (README).
 */
export async function recordAfterLoss(
  db: Db,
  logger: Logger,
  what: string,
  write: (tx: Tx) => Promise<unknown>,
): Promise<boolean> {
  const deadline = Date.now() + GIVE_UP_AFTER_MS;
  for (;;) {
    try {
      await db.transaction(async (tx) => {
        // The lost transaction's backend may hold its row locks a moment longer: wait for them, not forever.
        await tx.execute(sql`SET LOCAL lock_timeout = '5s'`);
        await write(tx);
      });
      return true;
    } catch (err) {
      if (Date.now() + DELAY_MS >= deadline) {
        logger.warn({ err, what }, "could not record e-mails accepted before their transaction was lost");
        return false;
      }
      await sleep(DELAY_MS);
    }
  }
}
