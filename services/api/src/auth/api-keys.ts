import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API keys look like `pris_<12 hex prefix>_<43 chars secret>`. The prefix is public and finds the row;
 * the SHA-256 of the whole key is stored and compared in constant time. Keys are long random secrets,
 * so a fast hash is enough (a slow password hash on every call would cap intake).
 */
const KEY_PATTERN = /^pris_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(6).toString("hex");
  const key = `pris_${prefix}_${randomBytes(32).toString("base64url")}`;
  return { key, prefix, secretHash: digest(key) };
}

export function parseApiKey(key: string): { prefix: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  return m ? { prefix: m[1]! } : undefined;
}

export function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function apiKeyMatches(key: string, secretHash: string): boolean {
  const a = Buffer.from(digest(key), "hex");
  const b = Buffer.from(secretHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
