import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: [
    "./packages/db/src/schema.ts",
    "./packages/db/src/schema-exercises.ts",
    "./packages/db/src/schema-bulletins.ts",
    "./packages/db/src/schema-evidence.ts",
    "./packages/db/src/schema-admin.ts",
    "./packages/db/src/schema-auth.ts",
    "./packages/db/src/schema-intake.ts",
  ],
  out: "./migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/pris" },
});
