import pg from "pg";

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * API keys and establishments, read by every declaration, kept in memory while PostgreSQL can tell us
 * they changed: a trigger NOTIFYs `pris_directory` on any change that matters, and the cache drops
 * everything. Without a working LISTEN connection nothing is cached, so a revoked key is never
 * honoured for longer than a notification takes to arrive. Only found rows are kept.
 */
export class DirectoryCache {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();
  private generation = 0;
  private client: pg.Client | undefined;
  private listening = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly ttlMs = 60_000,
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: "pris-api-listen" });
    this.client = client;
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.listening = false;
      this.invalidate();
      this.client = undefined;
      client.end().catch(() => {});
      if (!this.closed) {
        this.log.warn({ err: err?.message }, "directory cache off until PostgreSQL notifications are back");
        this.retry = setTimeout(() => void this.start(), 2_000);
        this.retry.unref();
      }
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", () => this.invalidate());
    try {
      await client.connect();
      await client.query("LISTEN pris_directory");
      this.listening = true;
    } catch (err) {
      lost(err as Error);
    }
  }

  /** Drops every entry; also called by this process right after it changes the directory itself. */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }

  async get<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.listening) return load();
    const hit = this.entries.get(key);
    if (hit && hit.expires > Date.now()) return hit.value as T;
    const generation = this.generation;
    const value = await load();
    // A change notified while loading may concern what was just read: keep it only if none came.
    if (value !== undefined && generation === this.generation) {
      this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
    }
    return value;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.listening = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
