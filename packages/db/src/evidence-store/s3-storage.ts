import type { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Config } from "@pris/config";
import { checkKey, type EvidenceStorage, isStorageKey, type StoredObject } from "./storage.ts";

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

  static fromConfig(
    config: Pick<
      Config,
      | "EVIDENCE_S3_BUCKET"
      | "EVIDENCE_S3_ENDPOINT"
      | "EVIDENCE_S3_REGION"
      | "EVIDENCE_S3_PREFIX"
      | "EVIDENCE_S3_FORCE_PATH_STYLE"
    >,
  ) {
    const client = new S3Client({
      region: config.EVIDENCE_S3_REGION,
      ...(config.EVIDENCE_S3_ENDPOINT ? { endpoint: config.EVIDENCE_S3_ENDPOINT } : {}),
      forcePathStyle: config.EVIDENCE_S3_FORCE_PATH_STYLE,
    });
    return new S3EvidenceStorage(client, config.EVIDENCE_S3_BUCKET, config.EVIDENCE_S3_PREFIX);
  }

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

  /** ListObjectsV2 under the prefix, a page (up to 1,000 keys) at a time. */
  async *list(): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length) ?? "";
        if (isStorageKey(key) && object.LastModified) yield { key, modifiedAt: object.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
