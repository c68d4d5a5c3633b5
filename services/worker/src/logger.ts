import type { Config } from "@pris/config";
import { traceLogFields } from "@pris/telemetry";
import pino, { type DestinationStream, type Logger } from "pino";

export type { DestinationStream, Logger };

/**
 * Wherever a secret may sit in what we log: connection options, SMTP auth, headers, errors
 * carrying the request that failed. Two levels deep covers what libraries attach.
 */
const SECRET_KEYS = ["password", "pass", "token", "authorization", "apiKey", "api_key", "secret"];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** JSON lines on stdout unless another destination is given (a file, a log shipper's stream). */
export function createLogger(
  config: Pick<Config, "LOG_LEVEL">,
  destination?: DestinationStream,
  name = "pris-worker",
): Logger {
  const options = {
    name,
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    // trace_id and span_id on every line written while a traced job runs.
    mixin: traceLogFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Connection strings may carry a password (redis://:secret@host); logs get them without it. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
