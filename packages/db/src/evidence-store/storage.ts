import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Config } from "@pris/config";

/**
 * Where evidence files' bytes live. Keys are the service's ids, never a name a client chose, so that
 * nothing sent can reach outside the store. A file is written whole or not at all: a reader never sees
 * half a file under its key.
 */
export interface EvidenceStorage {
  readonly kind: "local" | "s3";
  /** Streams the body to the key; rejects (leaving nothing under the key) if the body fails. */
  put(key: string, body: Readable): Promise<void>;
  /** The bytes under the key, or null when there are none. */
  get(key: string): Promise<Readable | null>;
  remove(key: string): Promise<void>;
  /**
   * Every object the store holds, with when it was last written: what the orphan sweep compares with the
   * rows. Only id keys are listed (a local volume's unfinished temporary files are not objects).
   */
  list(): AsyncIterable<StoredObject>;
}

export interface StoredObject {
  key: string;
  modifiedAt: Date;
}

const SAFE_KEY = /^[0-9a-f-]{36}$/;

export const isStorageKey = (name: string) => SAFE_KEY.test(name);

export function checkKey(key: string) {
  if (!SAFE_KEY.test(key)) throw new Error(`evidence storage: not an id key: ${key}`);
}

/**
 * A local volume: each file at <dir>/<2 first hex of its id's random part>/<id>, written under a
 * temporary name in the same directory and renamed once complete (rename is atomic on one filesystem).
 */
export class LocalEvidenceStorage implements EvidenceStorage {
  readonly kind = "local";
  constructor(private readonly dir: string) {}

  private pathOf(key: string) {
    checkKey(key);
    return path.join(this.dir, key.slice(-2), key);
  }

  async put(key: string, body: Readable): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.part-${process.pid}-${Date.now()}`;
    try {
      await pipeline(body, createWriteStream(temp, { flags: "wx", mode: 0o600 }));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable | null> {
    const stream = createReadStream(this.pathOf(key));
    return new Promise((resolve, reject) => {
      stream.once("open", () => resolve(stream));
      stream.once("error", (err: NodeJS.ErrnoException) =>
        err.code === "ENOENT" ? resolve(null) : reject(err),
      );
    });
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Every name in the volume's shard directories (two hex digits), with its path. */
  private async *entries(): AsyncIterable<{ shard: string; name: string; file: string }> {
    for (const shard of await readdir(this.dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await readdir(path.join(this.dir, shard)).catch(() => [] as string[])) {
        yield { shard, name, file: path.join(this.dir, shard, name) };
      }
    }
  }

  async *list(): AsyncIterable<StoredObject> {
    for await (const { shard, name, file } of this.entries()) {
      if (!isStorageKey(name) || name.slice(-2) !== shard) continue;
      const info = await stat(file).catch(() => null);
      if (info?.isFile()) yield { key: name, modifiedAt: info.mtime };
    }
  }

  /**
   * Temporary files (`<id>.part-…`) older than the cutoff: a process killed while writing leaves one
   * behind (a failed write removes its own). Removes them and says how many.
   */
  async removeStaleTemporaryFiles(olderThan: Date): Promise<number> {
    let removed = 0;
    for await (const { name, file } of this.entries()) {
      if (!/^[0-9a-f-]{36}\.part-\d+-\d+$/.test(name)) continue;
      const info = await stat(file).catch(() => null);
      if (info && info.mtime < olderThan) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}

/**
 * The local volume by default; the S3 client, about 25 MB of code, is loaded only when a bucket is set.
 */
export async function createEvidenceStorage(
  config: Pick<
    Config,
    | "EVIDENCE_DIR"
    | "EVIDENCE_S3_BUCKET"
    | "EVIDENCE_S3_ENDPOINT"
    | "EVIDENCE_S3_REGION"
    | "EVIDENCE_S3_PREFIX"
    | "EVIDENCE_S3_FORCE_PATH_STYLE"
  >,
): Promise<EvidenceStorage> {
  if (!config.EVIDENCE_S3_BUCKET) return new LocalEvidenceStorage(path.resolve(config.EVIDENCE_DIR));
  const { S3EvidenceStorage } = await import("./s3-storage.ts");
  return S3EvidenceStorage.fromConfig(config);
}
