import type { Logger } from "./logger.ts";

export interface PollLoop {
  start(): void;
  /**
   * Starts the next round now rather than after pollMs; during a round, right after it (the round may
   * have read before the work that woke it committed).
   */
  wake(): void;
  /** Resolves once the round in progress, if any, has finished. */
  stop(): Promise<void>;
}

export interface PollLoopOptions {
  /** One round of work; returns how many items it handled. */
  round: () => Promise<number>;
  /** A round is skipped (and tried again after pollMs) while this says no, e.g. Redis is away. */
  ready: () => boolean;
  batchSize: number;
  pollMs: number;
  logger: Logger;
  /** Logged once when rounds start failing, and once when they work again. */
  messages: { failing: string; recovered: string };
  /**
   * How long a wake-up waits before its round (default 0): work that commits in a stream (declarations
   * at 50 a second) is then taken a few items per round rather than one, at that cost in latency.
   */
  gatherMs?: number;
}

/**
 * Rounds one after another, never two at once: a full batch means more may be waiting, so the next
 * round starts at once; otherwise after pollMs. The work sits in PostgreSQL, so a failed round loses
 * nothing: it is logged once, not at every poll, and the next round tries again.
 */
export function pollLoop(options: PollLoopOptions): PollLoop {
  const { round, ready, batchSize, pollMs, logger, messages } = options;
  const gatherMs = options.gatherMs ?? 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let failing = false;
  let woken = false;
  let gathering = false;

  async function tick(): Promise<void> {
    timer = undefined;
    gathering = false;
    woken = false;
    let handled = 0;
    if (ready()) {
      try {
        handled = await round();
        if (failing) logger.info(messages.recovered);
        failing = false;
      } catch (err) {
        if (!failing) logger.error({ err }, messages.failing);
        failing = true;
      }
    }
    if (stopped) return;
    timer = setTimeout(run, handled >= batchSize ? 0 : woken ? gatherMs : pollMs);
  }

  function run(): void {
    running = tick();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      run();
    },
    wake() {
      if (stopped) return;
      if (timer === undefined) {
        woken = true;
        return;
      }
      if (gathering) return;
      clearTimeout(timer);
      if (gatherMs > 0) {
        gathering = true;
        timer = setTimeout(run, gatherMs);
      } else {
        timer = undefined;
        run();
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
