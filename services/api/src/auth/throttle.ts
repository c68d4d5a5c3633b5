import { isIP } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "@pris/config";
import { type Db, signInFailures } from "@pris/db";
import { and, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { AppError, TooManyAttemptsError } from "../errors.ts";

/** What is being guessed: an account's password, an e-mailed link, or a second factor's code. */
export type GuessKind = "login" | "reset_link" | "invitation_link" | "second_factor";

export interface Guess {
  kind: GuessKind;
  /** The e-mail as typed (lower case) for a login, `<kind>:<link id>` for a link, `second_factor:<user id>`. */
  subject: string;
  /** The client address, as Fastify took it (X-Forwarded-For only from TRUST_PROXY). */
  ip: string;
}

/** Each recent failed sign-in on an account, from any address, delays its next answer this much, up to the cap. */
export const DELAY_PER_FAILURE_MS = 250;
export const MAX_DELAY_MS = 3_000;

type Limits = Pick<
  Config,
  "LOGIN_RATE_LIMIT_MAX" | "LOGIN_RATE_LIMIT_ADDRESS_MAX" | "LOGIN_RATE_LIMIT_WINDOW_SECONDS"
>;

/**
 * Failed guesses, counted in PostgreSQL so that every API replica sees them:
 * - per subject and address: 429 past LOGIN_RATE_LIMIT_MAX in the window;
 * - per address, whatever the subject: 429 past LOGIN_RATE_LIMIT_ADDRESS_MAX;
 * - per account from any address, for a sign-in: never a refusal, only a delay growing with its recent
 *   failures (capped), so that an attacker can slow a person's sign-in down a little but never lock its
 *   owner out;
 * - per account from any address, for a second factor's code: 429 past LOGIN_RATE_LIMIT_MAX, as whoever
 *   reaches that step has the password already (six digits would not resist a botnet otherwise).
 *
 * An attempt is counted as a failure when it starts, in the same statement as the check, and forgotten when
 * it turns out not to be one: a burst of parallel guesses cannot all pass the check before any is recorded
 * (only statements running at the same instant miss each other's rows, at most one per pooled connection).
 */
export function createThrottle(db: Db, limits: Limits) {
  const since = sql`(now() - make_interval(secs => ${limits.LOGIN_RATE_LIMIT_WINDOW_SECONDS}))`;

  async function start(guess: Guess) {
    const { subject, kind } = guess;
    // Only a trusted proxy that passes a client's header on unchecked yields something else: all of those
    // share one address, so that none dodges the per-address limit by writing nonsense.
    const ip = isIP(guess.ip) ? guess.ip : "0.0.0.0";
    const subjectMax = kind === "second_factor" ? limits.LOGIN_RATE_LIMIT_MAX : null;
    const pair = sql`subject = ${subject} AND ip = ${ip}::inet`;
    const address = sql`ip = ${ip}::inet`;
    // Seconds until the oldest failure of a group leaves the window, freeing one attempt.
    const retry = (group: typeof pair) =>
      sql`ceil(extract(epoch FROM min(at) FILTER (WHERE ${group}) - ${since}))::int`;
    const { rows } = await db.execute<{
      pair: number;
      pairRetry: number | null;
      address: number;
      addressRetry: number | null;
      subject: number;
      subjectRetry: number | null;
      counted: boolean;
    }>(sql`
      WITH recent AS (
        SELECT coalesce(sum(attempts) FILTER (WHERE ${pair}), 0)::int AS pair,
               ${retry(pair)} AS "pairRetry",
               coalesce(sum(attempts) FILTER (WHERE ${address}), 0)::int AS address,
               ${retry(address)} AS "addressRetry",
               coalesce(sum(attempts) FILTER (WHERE subject = ${subject}), 0)::int AS subject,
               ${retry(sql`subject = ${subject}`)} AS "subjectRetry"
        FROM sign_in_failures
        WHERE at > ${since} AND (subject = ${subject} OR ${address})
      ), counted AS (
        INSERT INTO sign_in_failures (id, subject, ip, kind)
        SELECT ${uuidv7()}::uuid, ${subject}, ${ip}::inet, ${kind} FROM recent
        WHERE pair < ${limits.LOGIN_RATE_LIMIT_MAX} AND address < ${limits.LOGIN_RATE_LIMIT_ADDRESS_MAX}
          AND (${subjectMax}::int IS NULL OR subject < ${subjectMax}::int)
        RETURNING id
      )
      SELECT recent.*, EXISTS (SELECT 1 FROM counted) AS counted FROM recent`);
    const row = rows[0]!;
    if (!row.counted) {
      const seconds =
        row.pair >= limits.LOGIN_RATE_LIMIT_MAX
          ? row.pairRetry
          : row.address >= limits.LOGIN_RATE_LIMIT_ADDRESS_MAX
            ? row.addressRetry
            : row.subjectRetry;
      throw new TooManyAttemptsError(Math.max(1, seconds ?? limits.LOGIN_RATE_LIMIT_WINDOW_SECONDS));
    }
    // A password can be guessed from many addresses at once; a link's signature cannot be guessed at all.
    if (kind === "login") await sleep(Math.min(MAX_DELAY_MS, row.subject * DELAY_PER_FAILURE_MS));
    return {
      /** It was no failure: its row and the earlier failures of this subject from this address go. */
      async succeeded() {
        await db
          .delete(signInFailures)
          .where(and(eq(signInFailures.subject, subject), eq(signInFailures.ip, ip)));
      },
    };
  }

  return {
    /**
     * Before the guess is checked: throws TooManyAttemptsError (429) past a limit, else waits the subject's
     * delay. The attempt stays counted as a failure unless `succeeded()` is called.
     */
    start,

    /** Runs a link's check: only a link PRIS did not make (404) counts as a failed guess. */
    async guard<T>(guess: Guess, run: () => Promise<T>): Promise<T> {
      const attempt = await start(guess);
      try {
        const result = await run();
        await attempt.succeeded();
        return result;
      } catch (err) {
        if (!(err instanceof AppError && err.status === 404)) await attempt.succeeded();
        throw err;
      }
    },
  };
}

/** The subject of an e-mailed link: its kind and the id its token starts with, never the secret part. */
export function linkSubject(kind: "reset_link" | "invitation_link", token: string): string {
  return `${kind}:${token.split(".", 1)[0]!.slice(0, 36)}`;
}
