/**
 * Writes the API's OpenAPI document, built from the application itself without listening (the same
 * app.swagger() the /docs pages serve): `pnpm openapi [file]` (stdout by default); `pnpm lint:openapi`
 * lints it with Redocly's and Spectral's rule sets.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { loadConfig } from "@pris/config";
import { buildApp } from "../services/api/src/app.ts";

const app = await buildApp(
  loadConfig({ ...process.env, NODE_ENV: "development", LOG_LEVEL: "silent", MIGRATE_ON_START: "false" }),
);
try {
  await app.ready();
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  const file = process.argv[2];
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } else process.stdout.write(text);
} finally {
  await app.close();
}
