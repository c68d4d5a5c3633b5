export { type App, buildApp, withoutLinkTokens } from "./app.ts";
export { generateApiKey } from "./auth/api-keys.ts";
export { hashPassword } from "./auth/passwords.ts";
export { DELAY_PER_FAILURE_MS, MAX_DELAY_MS } from "./auth/throttle.ts";
export { ensureFirstAdmin } from "./bootstrap.ts";
