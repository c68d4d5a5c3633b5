import type { IntakeAuthentication } from "@pris/db";

/** What the receiving server said of a message's origin, and whether that is enough to act on it. */
export interface AuthenticationVerdict {
  results: IntakeAuthentication | null;
  /** Why the message is not believed; null when it is. */
  failure: string | null;
}

const METHODS = ["spf", "dkim", "dmarc"] as const;

/** Drops RFC 5322 comments "(…)", nested ones included, and folds white space. */
function withoutComments(value: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      out += c;
      if (c === "\\") out += value[++i] ?? "";
      else if (c === '"') quoted = false;
    } else if (c === '"' && depth === 0) {
      quoted = true;
      out += c;
    } else if (c === "(") depth++;
    else if (c === ")" && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out.replace(/\s+/g, " ").trim();
}

/**
 * One Authentication-Results header (RFC 8601): its authserv-id and, per method, the results it gives
 * (a message may carry several DKIM signatures: every result is kept).
 */
export function parseAuthenticationResults(
  value: string,
): { authservId: string; results: Record<(typeof METHODS)[number], string[]> } | null {
  const parts = withoutComments(value)
    .split(";")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const head = parts.shift();
  if (!head) return null;
  const authservId = head.split(" ")[0]!.toLowerCase();
  const results: Record<(typeof METHODS)[number], string[]> = { spf: [], dkim: [], dmarc: [] };
  for (const part of parts) {
    const match = /^([a-z0-9-]+)(?:\/[0-9]+)?\s*=\s*([a-z]+)/i.exec(part);
    if (!match) continue;
    const method = match[1]!.toLowerCase() as (typeof METHODS)[number];
    if ((METHODS as readonly string[]).includes(method)) results[method].push(match[2]!.toLowerCase());
  }
  return { authservId, results };
}

function summary(results: string[]): string | null {
  if (results.length === 0) return null;
  return results.includes("pass") ? "pass" : results[0]!;
}

/**
 * Reads the verdict of the server that received the message. Only the topmost Authentication-Results is
 * believed — each server adds its own above the others, and anything below may have been written by the
 * sender — and, when `authservId` is set, only one bearing that name. A message fails when DMARC fails,
 * or when SPF or DKIM fails and nothing passes; with `required`, a message without a verdict fails too.
 */
export function authenticationVerdict(
  headerValues: string[],
  options: { authservId: string; required: boolean },
): AuthenticationVerdict {
  const wanted = options.authservId.toLowerCase();
  const parsed = headerValues
    .map(parseAuthenticationResults)
    .filter((p): p is NonNullable<typeof p> => p !== null);
  const top = wanted ? parsed.find((p) => p.authservId === wanted) : parsed[0];
  if (!top) {
    return { results: null, failure: options.required ? "no verdict from the receiving server" : null };
  }
  const results: IntakeAuthentication = {
    authservId: top.authservId,
    spf: summary(top.results.spf),
    dkim: summary(top.results.dkim),
    dmarc: summary(top.results.dmarc),
  };
  const failing = (r: string | null) => r === "fail" || r === "softfail" || r === "permerror";
  let failure: string | null = null;
  if (results.dmarc === "fail") failure = "dmarc=fail";
  else if (
    (failing(results.spf) || failing(results.dkim)) &&
    results.spf !== "pass" &&
    results.dkim !== "pass"
  ) {
    failure = [
      failing(results.spf) ? `spf=${results.spf}` : null,
      failing(results.dkim) ? `dkim=${results.dkim}` : null,
    ]
      .filter(Boolean)
      .join(" ");
  } else if (options.required && !results.spf && !results.dkim && !results.dmarc) {
    failure = "no SPF, DKIM or DMARC verdict";
  }
  return { results, failure };
}
