import type { FieldError } from "@pris/domain";

/** The API under the same origin; in development Vite proxies it. */
export const API_BASE = "/api/v1";

/** What an RFC 9457 problem+json answer carries (fields the server may omit are optional). */
export interface ProblemBody {
  status: number;
  code: string;
  title: string;
  detail?: string;
  requestId?: string;
  errors?: FieldError[];
}

/** The server answered with a 4xx or 5xx. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemBody;
  readonly retryAfterSeconds: number | null;

  constructor(problem: ProblemBody, retryAfterSeconds: number | null) {
    super(`${problem.status} ${problem.code}: ${problem.title}`);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request never got an answer: offline, DNS, TLS, dropped connection or timeout. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super("network unreachable", { cause });
    this.name = "NetworkError";
  }
}

/**
 * The CSRF token lives in memory only: the session itself is an HttpOnly cookie the script never
 * sees, and after a reload the token is fetched again from /auth/session.
 */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** A phone on a failing network may hang for minutes: give up and let the user retry. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

async function readProblem(res: Response): Promise<ProblemBody> {
  const fallback: ProblemBody = { status: res.status, code: `http_${res.status}`, title: res.statusText };
  const type = res.headers.get("content-type") ?? "";
  if (!type.includes("json")) return fallback;
  try {
    const body = (await res.json()) as Partial<ProblemBody>;
    return { ...fallback, ...body, status: res.status };
  } catch {
    return fallback;
  }
}

export async function apiRequest<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  // A FormData body (a file upload) sets its own multipart content type and boundary.
  const form = typeof FormData !== "undefined" && options.body instanceof FormData ? options.body : undefined;
  if (options.body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;

  // A plain controller rather than AbortSignal.any/timeout: older phones lack them.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onAbort);
  try {
    let res: Response;
    try {
      res = await fetch(`${API_BASE}${path}`, {
        method,
        headers,
        body: form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new NetworkError(err);
    }
    if (!res.ok) {
      const retryAfter = Number(res.headers.get("retry-after"));
      throw new ApiError(
        await readProblem(res),
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      );
    }
    if (res.status === 204) return undefined as T;
    try {
      return (await res.json()) as T;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      // Headers arrived but the body was cut off: for the caller it is the same as no answer.
      throw new NetworkError(err);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Answers asked for before the app started (src/preload.ts), each handed once to the first who wants it. */
const early = new Map<string, Promise<unknown>>();

/** Asks for a GET now, for the app to take when it starts (takeEarly). */
export function fetchEarly(path: string, options?: RequestOptions): void {
  const answer = apiRequest("GET", path, options);
  answer.catch(() => {}); // whoever takes it sees the error
  early.set(path, answer);
}

/** The answer fetchEarly asked for, once; undefined when it was not asked for or already taken. */
export function takeEarly<T>(path: string): Promise<T> | undefined {
  const answer = early.get(path) as Promise<T> | undefined;
  early.delete(path);
  return answer;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => apiRequest<T>("GET", path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    apiRequest<T>("POST", path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    apiRequest<T>("PATCH", path, { ...options, body }),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    apiRequest<T>("PUT", path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => apiRequest<T>("DELETE", path, options),
};

/** The message of a 400 naming fields, or of a 409, in French where the page has no better words. */
export function describeProblem(err: unknown): string {
  if (err instanceof ApiError && (err.status === 400 || err.status === 409 || err.status === 403)) {
    const fields = err.problem.errors?.map((e) => `${e.field.replace(/^\//, "")} : ${e.message}`) ?? [];
    if (err.status === 403) return "Vous n'avez pas le droit de faire cela sur cet incident.";
    if (err.status === 409)
      return `Action impossible dans l'état actuel de l'incident (${err.problem.title}).`;
    return fields.length > 0 ? `Vérifiez les champs : ${fields.join(" ; ")}.` : err.problem.title;
  }
  return describeError(err);
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}

/** A French sentence for errors a page does not handle specifically. */
export function describeError(err: unknown): string {
  if (err instanceof NetworkError) {
    return "Le service est injoignable. Vérifiez votre connexion (Wi-Fi ou données mobiles) puis réessayez.";
  }
  if (err instanceof ApiError) {
    if (err.status === 401) return "Votre session a expiré. Reconnectez-vous.";
    if (err.status === 404) return "Élément introuvable, ou vous n'y avez pas accès.";
    if (err.status === 429) {
      // The sign-in throttle (and the links it guards) says when an attempt is free again.
      const minutes = err.retryAfterSeconds ? Math.max(1, Math.ceil(err.retryAfterSeconds / 60)) : null;
      return minutes
        ? `Trop de tentatives. Réessayez dans ${minutes} minute${minutes > 1 ? "s" : ""}.`
        : "Trop de requêtes. Patientez un instant puis réessayez.";
    }
    if (err.status >= 500) {
      const ref = err.problem.requestId ? ` (référence technique : ${err.problem.requestId})` : "";
      return `Le service rencontre un problème. Réessayez dans un instant${ref}.`;
    }
    return "La demande a été refusée par le service.";
  }
  return "Une erreur inattendue s'est produite.";
}
