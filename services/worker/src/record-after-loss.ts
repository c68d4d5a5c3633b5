import type { Db, Tx } from "@pris/db";
import { sql } from "drizzle-orm";
import type { Logger } from "./logger.ts";

const ATTEMPTS = 15;
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
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.transaction(async (tx) => {
        // The lost transaction's backend may hold its row locks a moment longer: wait for them, not forever.
        await tx.execute(sql`SET LOCAL lock_timeout = '5s'`);
        await write(tx);
      });
      return true;
    } catch (err) {
      if (attempt >= ATTEMPTS) {
        logger.warn({ err, what }, "could not record e-mails accepted before their transaction was lost");
        return false;
      }
      await sleep(DELAY_MS);
    }
  }
}
