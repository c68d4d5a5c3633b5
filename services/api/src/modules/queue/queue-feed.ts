import { type Db, establishments, incidents } from "@pris/db";
import { incidentVisibility, QUEUE_EVENTS, type QueueDeclaredEvent } from "@pris/domain";
import { and, eq, inArray } from "drizzle-orm";
import pg from "pg";
import type { Principal } from "../../auth/principal.ts";
import { incidentScope } from "../incidents/incident-service.ts";

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FeedSubscriber {
  principal: Principal;
  send(event: string, data: unknown): void;
}

/** Notifications arriving this close together are read back in one query. */
const BATCH_MS = 25;
const MAX_IDS_PER_READ = 1000;

/**
 * The queue's live feed in one API process. A trigger on incidents NOTIFYs `pris_incidents` with
 * `{op: "declared" | "changed", id}` when a transaction that declared or changed an incident commits
 * (migration 0006). One LISTEN connection per process, opened with the first subscriber, fans the
 * notifications out to every subscribed browser: each batch of ids is read back with the subscriber's
 * incidentScope() (once for all who see everything), so a subscriber only ever hears of incidents it
 * may read.
 *
 * When the LISTEN connection is lost, notifications sent meanwhile are gone: once it is back, every
 * subscriber is told to re-read the queue (`queue.resync`). Reconnection as in DirectoryCache.
 */
export class IncidentFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  private readonly pending = new Map<string, "declared" | "changed">();
  private client: pg.Client | undefined;
  private starting: Promise<void> | undefined;
  private listening = false;
  private lostSince: number | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** Resolves once notifications are listened to (or the first attempt failed: retries follow). */
  async subscribe(subscriber: FeedSubscriber): Promise<() => void> {
    this.subscribers.add(subscriber);
    this.starting ??= this.connect();
    await this.starting;
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: "pris-api-queue-feed" });
    this.client = client;
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.listening = false;
      this.lostSince ??= Date.now();
      this.client = undefined;
      client.end().catch(() => {});
      if (!this.closed) {
        this.log.warn({ err: err?.message }, "queue feed lost its PostgreSQL notifications; reconnecting");
        this.retry = setTimeout(() => void this.connect(), 2_000);
        this.retry.unref();
      }
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", (message) => this.received(message.payload));
    try {
      await client.connect();
      await client.query("LISTEN pris_incidents");
      this.listening = true;
      if (this.lostSince !== undefined) {
        this.lostSince = undefined;
        this.broadcast(QUEUE_EVENTS.resync, {});
      }
    } catch (err) {
      lost(err as Error);
    }
  }

  private received(payload: string | undefined) {
    let note: { op?: unknown; id?: unknown };
    try {
      note = JSON.parse(payload ?? "");
    } catch {
      return;
    }
    if (typeof note.id !== "string" || (note.op !== "declared" && note.op !== "changed")) return;
    // A declaration also changes its row before it commits: announce it once, as a declaration.
    if (this.pending.get(note.id) !== "declared") this.pending.set(note.id, note.op);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch((err: unknown) => this.log.error({ err }, "queue feed could not fan out"));
    }, BATCH_MS);
  }

  private async flush() {
    const batch = [...this.pending].slice(0, MAX_IDS_PER_READ);
    for (const [id] of batch) this.pending.delete(id);
    if (this.pending.size > 0) {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush().catch((err: unknown) => this.log.error({ err }, "queue feed could not fan out"));
      }, 0);
    }
    if (batch.length === 0 || this.subscribers.size === 0) return;
    const ops = new Map(batch);
    // One read per scope, keyed by what incidentScope() looks at: the visibility, and for an
    // establishment's people their establishments. The pole shares one read, the task force another.
    const groups = new Map<string, FeedSubscriber[]>();
    for (const s of this.subscribers) {
      const visibility = incidentVisibility(s.principal.role);
      const key =
        visibility === "establishments"
          ? `${visibility}:${[...s.principal.establishmentIds].sort().join(",")}`
          : visibility;
      const group = groups.get(key);
      if (group) group.push(s);
      else groups.set(key, [s]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        let rows: { id: string; reference: string; severity: string; establishmentName: string }[];
        try {
          rows = await this.db
            .select({
              id: incidents.id,
              reference: incidents.reference,
              severity: incidents.severity,
              establishmentName: establishments.name,
            })
            .from(incidents)
            .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
            .where(and(inArray(incidents.id, [...ops.keys()]), incidentScope(group[0]!.principal)));
        } catch (err) {
          // These events are lost: the subscribers re-read the queue instead.
          this.log.warn({ err: (err as Error).message }, "queue feed could not read changed incidents");
          for (const s of group) if (this.subscribers.has(s)) s.send(QUEUE_EVENTS.resync, {});
          return;
        }
        for (const row of rows) {
          const declared = ops.get(row.id) === "declared";
          const data: QueueDeclaredEvent | { id: string } = declared
            ? { ...row, severity: row.severity as QueueDeclaredEvent["severity"] }
            : { id: row.id };
          for (const s of group) {
            if (this.subscribers.has(s))
              s.send(declared ? QUEUE_EVENTS.declared : QUEUE_EVENTS.changed, data);
          }
        }
      }),
    );
  }

  private broadcast(event: string, data: unknown) {
    for (const s of this.subscribers) s.send(event, data);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.flushTimer);
    this.listening = false;
    this.subscribers.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  get isListening(): boolean {
    return this.listening;
  }
}
