import { createHmac, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from "node:crypto";
import type { Config } from "@pris/config";

/**
 * The keys of the main courante. Entries are chained with HMAC-SHA256 under a key the database never
 * sees, so someone who can rewrite the table cannot recompute a chain that verifies. Each keyed hash
 * names its key by a fingerprint (`hmac-sha256:<key id>:<hex>`): after a rotation the former keys stay
 * in LOG_CHAIN_PREVIOUS_KEYS and the entries made under them still verify.
 */
export interface LogChainKey {
  id: string;
  secret: Buffer;
  /** Signs the daily checkpoints; its public half lets the ARS check them without any secret. */
  signingKey: KeyObject;
  publicKey: KeyObject;
}

export interface LogChainKeyring {
  current: LogChainKey;
  byId: ReadonlyMap<string, LogChainKey>;
}

/** A fingerprint, not the key: 64 bits of an HMAC of a fixed label, enough to tell a few keys apart. */
function keyId(secret: Buffer): string {
  return createHmac("sha256", secret).update("pris log chain key id").digest("hex").slice(0, 16);
}

/** PKCS#8 prefix of a raw Ed25519 seed (RFC 8410): the seed is derived, so there is no second secret. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function logChainKey(secret: string): LogChainKey {
  const raw = Buffer.from(secret, "utf8");
  const seed = Buffer.from(hkdfSync("sha256", raw, Buffer.alloc(0), "pris log checkpoint ed25519", 32));
  const signingKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  return { id: keyId(raw), secret: raw, signingKey, publicKey: createPublicKey(signingKey) };
}

export function logChainKeyring(
  config: Pick<Config, "LOG_CHAIN_KEY" | "LOG_CHAIN_PREVIOUS_KEYS">,
): LogChainKeyring {
  const current = logChainKey(config.LOG_CHAIN_KEY);
  const previous = config.LOG_CHAIN_PREVIOUS_KEYS.split(",")
    .filter((k) => k !== "")
    .map(logChainKey);
  return { current, byId: new Map([...previous, current].map((k) => [k.id, k])) };
}

let configured: LogChainKeyring | undefined;

/**
 * The process's keyring, set once at start by the API and the worker from their configuration. The
 * writers of the main courante are spread over many services that take a transaction, not the
 * configuration; the keyring is process-wide like the configuration it comes from.
 */
export function configureLogChain(config: Pick<Config, "LOG_CHAIN_KEY" | "LOG_CHAIN_PREVIOUS_KEYS">): void {
  configured = logChainKeyring(config);
}

export function currentLogChain(): LogChainKeyring {
  if (!configured) throw new Error("the main courante's key is not configured: call configureLogChain first");
  return configured;
}
