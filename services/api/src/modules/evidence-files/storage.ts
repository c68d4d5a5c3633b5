import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
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

function checkKey(key: string) {
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
 * An S3-compatible bucket. The multipart Upload of lib-storage streams the body in 8 MB parts (a few
 * in flight), so memory stays bounded whatever the size; an object appears only when the upload
 * completes, and a failed one is aborted.
 */
export class S3EvidenceStorage implements EvidenceStorage {
  readonly kind = "s3";
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  private keyOf(key: string) {
    checkKey(key);
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.keyOf(key), Body: body },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async get(key: string): Promise<Readable | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return (res.Body as Readable | undefined) ?? null;
    } catch (err) {
      if (err instanceof NoSuchKey) return null;
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
  }
}

export function createEvidenceStorage(
  config: Pick<
    Config,
    | "EVIDENCE_DIR"
    | "EVIDENCE_S3_BUCKET"
    | "EVIDENCE_S3_ENDPOINT"
    | "EVIDENCE_S3_REGION"
    | "EVIDENCE_S3_PREFIX"
    | "EVIDENCE_S3_FORCE_PATH_STYLE"
  >,
): EvidenceStorage {
  if (!config.EVIDENCE_S3_BUCKET) return new LocalEvidenceStorage(path.resolve(config.EVIDENCE_DIR));
  const client = new S3Client({
    region: config.EVIDENCE_S3_REGION,
    ...(config.EVIDENCE_S3_ENDPOINT ? { endpoint: config.EVIDENCE_S3_ENDPOINT } : {}),
    forcePathStyle: config.EVIDENCE_S3_FORCE_PATH_STYLE,
  });
  return new S3EvidenceStorage(client, config.EVIDENCE_S3_BUCKET, config.EVIDENCE_S3_PREFIX);
}
