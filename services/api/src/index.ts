export { type App, buildApp, withoutLinkTokens } from "./app.ts";
export { generateApiKey } from "./auth/api-keys.ts";
export { hashPassword } from "./auth/passwords.ts";
export { ensureFirstAdmin } from "./bootstrap.ts";
