/**
 * `pnpm ops:backup [--database-url URL] [--output FILE]`: dumps the database (DATABASE_URL by default)
 * with pg_dump's custom format, beside a manifest and a sha256sum file. Exit codes: see EXIT.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "@pris/config";
import { backupDatabase, checksumPath, databaseName, EXIT, manifestPath, OpsError } from "../backup.ts";

const USAGE = "usage: pnpm ops:backup [--database-url URL] [--output FILE]";

async function main(): Promise<number> {
  let values: { "database-url"?: string; output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        "database-url": { type: "string" },
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const url = values["database-url"] ?? loadConfig().DATABASE_URL;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const file = values.output ?? `backups/pris-${databaseName(url)}-${stamp}.dump`;
  console.log(`backing up database ${databaseName(url)} to ${file}`);
  const manifest = await backupDatabase({ url, file, log: (line) => console.log(line) });
  const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
  console.log(
    `backup written: ${file} (${manifest.dump.bytes} bytes, ${Object.keys(manifest.tables).length} tables, ` +
      `${rows} rows, ${manifest.tables["public.incidents"] ?? 0} incidents, migrations: ` +
      `${manifest.migrations ? `${manifest.migrations.applied} applied, latest ${manifest.migrations.latest ?? "unknown"}` : "none"})`,
  );
  console.log(`manifest: ${manifestPath(file)}\nchecksums: ${checksumPath(file)}`);
  return EXIT.ok;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof OpsError) {
    console.error(`backup failed: ${err.message}`);
    process.exitCode = err.exitCode;
  } else if (err instanceof ConfigError) {
    console.error(`backup failed: ${err.message}`);
    process.exitCode = EXIT.usage;
  } else {
    console.error(`backup failed: ${(err as Error).message}`);
    process.exitCode = EXIT.failed;
  }
}
