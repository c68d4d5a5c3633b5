import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Two files at a time even on two cores (vitest's default there is one): most of an integration
    // test's time is spent waiting on PostgreSQL, Redis, SMTP, child processes or the browser.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts", "tests/e2e/**/*.test.ts"],
          globalSetup: ["tests/setup/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // A page polled after a click waits for a request and a re-render: a second is short when two
          // test files share two cores with PostgreSQL and Chromium.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
