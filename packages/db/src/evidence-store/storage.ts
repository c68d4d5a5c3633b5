import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
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
}

const SAFE_KEY = /^[0-9a-f-]{36}$/;

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
