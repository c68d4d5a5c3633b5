/**
 * `pnpm ops:restore FILE [--database-url URL]`: checks the backup's checksums, restores it into the
 * database of DATABASE_URL (or --database-url), which must be empty or not exist yet, then checks every
 * table's row count against the manifest and every main courante's chain with LOG_CHAIN_KEY and
 * LOG_CHAIN_PREVIOUS_KEYS — the keys of the deployment the backup came from. Exit codes: see EXIT.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "@pris/config";
import { EXIT, OpsError, restoreDatabase } from "../backup.ts";
import { logChainKeyring } from "../log-chain-keys.ts";

const USAGE = "usage: pnpm ops:restore FILE [--database-url URL]";

async function main(): Promise<number> {
  let parsed: { values: { "database-url"?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      options: { "database-url": { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== 1) {
    console.error(`error: give exactly one backup file\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfig();
  const report = await restoreDatabase({
    file: parsed.positionals[0]!,
    url: parsed.values["database-url"] ?? config.DATABASE_URL,
    keyring: logChainKeyring(config),
    log: (line) => console.log(line),
  });
  const failures: string[] = [];
  for (const m of report.countMismatches) {
    failures.push(
      `table ${m.table}: ${m.expected ?? "absent"} rows in the backup, ${m.actual ?? "absent"} restored`,
    );
  }
  for (const c of report.brokenChains) {
    failures.push(`main courante of ${c.reference} (${c.incidentId}) does not verify: ${c.problem}`);
  }
  if (failures.length > 0) {
    console.error(
      `restore into ${report.database} FAILED verification; do not put this database into service:`,
    );
    for (const f of failures) console.error(`  - ${f}`);
    if (report.brokenChains.some((c) => c.problem.includes("unknown_key"))) {
      console.error(
        "  hint: LOG_CHAIN_KEY and LOG_CHAIN_PREVIOUS_KEYS must hold the keys of the deployment the backup came from",
      );
    }
    return EXIT.verificationFailed;
  }
  console.log(
    `restore verified: ${report.database} holds ${report.tables} tables and ${report.rows} rows as the manifest says; ` +
      `${report.incidents} main courantes (${report.entries} entries) verify`,
  );
  return EXIT.ok;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof OpsError) {
    const refused = err.exitCode === EXIT.damaged || err.exitCode === EXIT.notEmpty;
    console.error(`restore ${refused ? "refused" : "failed"}: ${err.message}`);
    process.exitCode = err.exitCode;
  } else if (err instanceof ConfigError) {
    console.error(`restore refused: ${err.message}`);
    process.exitCode = EXIT.usage;
  } else {
    console.error(`restore failed: ${(err as Error).message}`);
    process.exitCode = EXIT.failed;
  }
}
