import { isIP } from "node:net";
import { accessTraces, type Db, incidents } from "@pris/db";
import type { AccessObjectKind } from "@pris/domain";
import { inArray } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import fp from "fastify-plugin";

declare module "fastify" {
  interface FastifyContextConfig {
    /** A read of this kind of object by a person or an API key is traced (who, what, when, from where). */
    accessTrace?: AccessObjectKind;
  }
  interface FastifyInstance {
    accessTraces: AccessTraceBuffer;
  }
}

type TraceRow = typeof accessTraces.$inferInsert;

/** A batch is written at least this often; this is also the most a crash of the process can lose. */
export const TRACE_FLUSH_MS = 1_000;
/** …or as soon as this many traces wait. */
const TRACE_BATCH = 200;
/** While PostgreSQL is away traces wait in memory up to this many; older ones are then dropped, and logged. */
const TRACE_BACKLOG_MAX = 50_000;

/** Text as PostgreSQL stores it: no NUL character, bounded. */
const storable = (value: string, max: number) => value.replaceAll("\u0000", "").slice(0, max);

const OBJECTS_OF_AN_ESTABLISHMENT: ReadonlySet<AccessObjectKind> = new Set(["incident"]);

/**
 * Traces are written after the answer is sent and in batches: a read costs an array push, never a
 * round trip. A crash loses at most the traces of the last second (TRACE_FLUSH_MS); a graceful stop
 * writes them all. An incident's establishment is looked up once per batch, for the ARS's filters.
 */
export class AccessTraceBuffer {
  private pending: TraceRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  dropped = 0;

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
  ) {}

  record(row: TraceRow): void {
    this.pending.push(row);
    if (this.pending.length >= TRACE_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), TRACE_FLUSH_MS).unref();
  }

  /** Writes what waits; resolves once written (or kept for the next try when the database failed). */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async write(batch: TraceRow[]): Promise<void> {
    try {
      const incidentIds = [
        ...new Set(
          batch.filter(
            (t) => OBJECTS_OF_AN_ESTABLISHMENT.has(t.objectKind as AccessObjectKind) && t.objectId,
          ),
        ),
      ].map((t) => t.objectId!);
      const owners =
        incidentIds.length === 0
          ? []
          : await this.db
              .select({ id: incidents.id, establishmentId: incidents.establishmentId })
              .from(incidents)
              .where(inArray(incidents.id, incidentIds));
      const ownerOf = new Map(owners.map((o) => [o.id, o.establishmentId]));
      await this.db.insert(accessTraces).values(
        batch.map((t) => ({
          ...t,
          establishmentId: t.establishmentId ?? ownerOf.get(t.objectId!) ?? null,
        })),
      );
    } catch (err) {
      // A value PostgreSQL refuses (SQLSTATE classes 22 and 23) would fail every retry and hold back every
      // later trace: that batch is dropped, loudly. Values are cleaned on the way in, so this is a bug.
      const code = String((err as { cause?: { code?: unknown } }).cause?.code ?? "");
      if (/^2[23]/.test(code)) {
        this.dropped += batch.length;
        this.log.error(
          { err, dropped: batch.length },
          "access traces refused by the database; batch dropped",
        );
        return;
      }
      // Kept for the next flush: a database away for a while costs memory, not traces, up to the cap.
      this.pending = [...batch, ...this.pending];
      const excess = this.pending.length - TRACE_BACKLOG_MAX;
      if (excess > 0) {
        this.pending.splice(0, excess);
        this.dropped += excess;
      }
      this.log.error(
        { err, waiting: this.pending.length, dropped: this.dropped },
        "access traces not written yet",
      );
      this.timer ??= setTimeout(() => void this.flush(), TRACE_FLUSH_MS * 5).unref();
    }
  }
}

/**
 * Routes that read an incident, its exports, a bulletin's dashboard or an aggregate export declare
 * `config: { accessTrace: kind }`; every successful answer to a signed-in caller is traced.
 */
export default fp(
  async (app) => {
    const buffer = new AccessTraceBuffer(app.database.db, app.log);
    app.decorate("accessTraces", buffer);
    app.addHook("onResponse", async (request, reply) => {
      const kind = request.routeOptions.config?.accessTrace;
      const principal = request.principal;
      if (!kind || !principal || reply.statusCode >= 400) return;
      const params = request.params as { id?: unknown } | undefined;
      const queryAt = request.url.indexOf("?");
      buffer.record({
        at: new Date(),
        userId: principal.kind === "user" ? principal.id : null,
        apiKeyId: principal.kind === "api_key" ? principal.id : null,
        role: principal.role,
        // An API key acts for one establishment; an incident's is looked up when the batch is written.
        establishmentId: principal.kind === "api_key" ? principal.establishmentIds[0] : null,
        objectKind: kind,
        objectId: typeof params?.id === "string" ? params.id : null,
        action: request.routeOptions.schema?.operationId ?? request.routeOptions.url ?? "",
        method: request.method,
        path: storable(queryAt < 0 ? request.url : request.url.slice(0, queryAt), 500),
        query: queryAt < 0 ? null : storable(request.url.slice(queryAt + 1), 2000),
        statusCode: reply.statusCode,
        // Behind trusted proxies the address comes from X-Forwarded-For: whatever is not an address is not kept.
        ip: isIP(request.ip) ? request.ip : null,
        userAgent: request.headers["user-agent"] ? storable(request.headers["user-agent"], 500) : null,
      });
    });
    // Registered after infra's, so it runs before the pool closes (onClose hooks run in reverse order).
    app.addHook("onClose", async () => {
      await buffer.flush();
    });
  },
  { name: "access-trace", dependencies: ["infra", "auth"] },
);
