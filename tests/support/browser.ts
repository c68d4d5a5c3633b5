import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { App } from "@pris/api";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from "playwright-core";
import { afterEach } from "vitest";

/** The built web app (pnpm build:web), served by the API as in production. */
export const WEB_DIST_DIR = fileURLToPath(new URL("../../services/web/dist", import.meta.url));

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where screenshots go; look at them after a run. */
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? "/tmp";

export function assertWebBuilt(): void {
  if (!existsSync(`${WEB_DIST_DIR}/index.html`)) {
    throw new Error(`${WEB_DIST_DIR}/index.html missing: run "pnpm build:web" first (pnpm test does)`);
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
}

/** What the pages reported against the Content-Security-Policy since the last test ended. */
const cspViolations: string[] = [];

// Every browser test fails when a page broke the policy, whatever the test itself looked at.
afterEach(() => {
  if (cspViolations.length === 0) return;
  const seen = cspViolations.splice(0);
  throw new Error(`Content-Security-Policy violations:\n  ${seen.join("\n  ")}`);
});

/** Listens, in every page of the context, for the browser's report of a blocked script, style or load. */
async function watchCsp(context: BrowserContext): Promise<void> {
  await context.exposeBinding("__reportCspViolation", (_source, text: string) => {
    cspViolations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation;
      report(
        `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI} (${e.sourceFile}:${e.lineNumber})`,
      );
    });
  });
}

/**
 * Chromium whose every new context reports CSP violations (see watchCsp). Chromium hangs under
 * libfaketime, so when the tests run at a shifted instant (`pnpm test:at`) it keeps the machine's clock
 * and each of its contexts is given the tests' clock through Playwright's instead.
 */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    env: { ...process.env, LD_PRELOAD: "" },
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options?: BrowserContextOptions) => {
    const context = await newContext(options);
    await watchCsp(context);
    if (process.env.FAKETIME) await context.clock.install({ time: Date.now() });
    return context;
  };
  return browser;
}

/** Listens on a free port of the loopback interface and returns the app's base URL. */
export async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/**
 * A phone on a French network, its clock set to Paris time: the region's zone (Réunion) must come
 * from the server, never from the device.
 */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 1,
  isMobile: true,
  hasTouch: true,
  locale: "fr-FR",
  timezoneId: "Europe/Paris",
};

export const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 900 },
  locale: "fr-FR",
  timezoneId: "Europe/Paris",
};
