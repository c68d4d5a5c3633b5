import { migrate } from "@pris/db";
import pg from "pg";

/**
 * Migrates a database for tests and benchmarks that are not about the second factor: they sign in with a
 * password alone, as a deployment whose administrator made every role's factor optional would (the
 * migration requires one of the pole, the task force, the ARS and the administrators).
 * second-factor.test.ts and the other tests of the policy set the policies they test.
 */
export async function migrateWithPasswordOnly(url: string): Promise<void> {
  await migrate(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("UPDATE second_factor_policies SET required = false, required_from = NULL");
  } finally {
    await client.end();
  }
}
