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
          // A browser journey signs in two people and runs axe twice: 30 s was met in 20 s on an idle machine
          // and missed on CI's, loaded by two test files, PostgreSQL and Chromium.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // A page polled after a click waits for a request and a re-render: a second is short when two
          // test files share two cores with PostgreSQL and Chromium.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
