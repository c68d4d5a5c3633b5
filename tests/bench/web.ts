/**
 * pnpm bench:web — the first load of the web app on a phone network, in Chromium driven through the
 * DevTools protocol: 1.6 Mbps down, 750 kbps up, 150 ms round trip, the CPU 4× slower, a cold cache (a
 * new browser context for every load). For each load it measures the bytes transferred (headers
 * included, as the network carried them) and the time from the navigation's start until the form is
 * usable: its fields rendered by React (so their handlers attached), the page's stylesheets applied, and
 * a frame painted.
 *
 * Three pages, each against a baseline in the same run (loads interleaved, so that both meet the same
 * background load):
 * 1. A bare static page with a two-field form (a plain node:http server): the network's floor, what any
 *    page pays for its round trips.
 * 2. The login page (/connexion), served as in production, and the same page with compression refused by
 *    the browser (Accept-Encoding: identity): what the compressed assets and the bundle's split bring.
 * 3. The declaration form (/declarer) for a signed-in RSSI (the session cookie set, the cache cold), and
 *    the same without compression. Target: usable in under 3 s.
 *
 * It creates a scratch database, migrates it, creates an establishment and its RSSI, starts the API as
 * a child process (production mode, serving services/web/dist: run `pnpm build:web` first), measures,
 * and drops the database. Knobs: BENCH_RUNS (5 loads per side), BENCH_KEEP=1, DATABASE_URL (the server),
 * CHROMIUM_PATH.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { hashPassword } from "@pris/api";
import { loadConfig } from "@pris/config";
import { createDatabase, establishments, territories, users } from "@pris/db";
import { type Browser, chromium } from "playwright-core";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import {
  API_NODE_OPTIONS,
  Children,
  freePort,
  percentile,
  ROOT,
  scratchDatabase,
  waitFor,
} from "./support.ts";

// As tests/support/browser.ts has them (which only a vitest run may import): Debian's Chromium, the built app.
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const WEB_DIST_DIR = `${ROOT}services/web/dist`;

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PASSWORD = "bench-password-1234";
const TARGET_MS = 3000;

/** A phone on a mediocre mobile network (Lighthouse's "slow 4G" is 1.6 Mbps / 150 ms / CPU 4×). */
const NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: 1.6e6 / 8, // bytes per second
  uploadThroughput: 750e3 / 8,
};
const CPU_SLOWDOWN = 4;

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_web");
const children = new Children();

/**
 * Installed before any of the page's scripts: records when the first element matching `selector` is in
 * the document with every stylesheet of the page loaded, then waits for the next frame (it is painted).
 */
function readyProbe(selector: string): string {
  return `(() => {
    const sel = ${JSON.stringify(selector)};
    let done = false;
    const sheetsLoaded = () => [...document.querySelectorAll('link[rel="stylesheet"]')].every((l) => l.sheet);
    const check = () => {
      if (done || !document.querySelector(sel) || !sheetsLoaded()) return;
      done = true;
      requestAnimationFrame(() => setTimeout(() => { window.__usableAt = performance.now(); }, 0));
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
    document.addEventListener("load", check, true);
  })();`;
}

interface Load {
  ms: number;
  bytes: number;
  requests: number;
  /** Bytes by kind of resource (script, stylesheet, font, fetch, …). */
  byType: Record<string, number>;
}

async function load(
  browser: Browser,
  url: string,
  selector: string,
  options: { identity?: boolean; cookie?: { name: string; value: string; url: string } } = {},
): Promise<Load> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: "fr-FR",
  });
  try {
    if (options.cookie) await context.addCookies([options.cookie]);
    await context.addInitScript(readyProbe(selector));
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.clearBrowserCache");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
    await cdp.send("Network.emulateNetworkConditions", NETWORK);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
    if (options.identity) {
      await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": "identity" } });
    }
    const types = new Map<string, string>();
    const byType: Record<string, number> = {};
    let bytes = 0;
    let requests = 0;
    const urls = new Map<string, string>();
    const started = new Map<string, number>();
    let t0 = 0;
    cdp.on("Network.requestWillBeSent", (e) => {
      if (!t0) t0 = e.timestamp;
      started.set(e.requestId, e.timestamp);
    });
    cdp.on("Network.responseReceived", (e) => {
      types.set(e.requestId, e.type);
      urls.set(
        e.requestId,
        `${e.response.url.replace(/^https?:\/\/[^/]+/, "")} ${e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? ""}`,
      );
    });
    cdp.on("Network.loadingFinished", (e) => {
      const type = types.get(e.requestId) ?? "Other";
      bytes += e.encodedDataLength;
      requests++;
      byType[type] = (byType[type] ?? 0) + e.encodedDataLength;
      if (process.env.BENCH_LIST === "1" && !urls.get(e.requestId)?.startsWith("data:")) {
        const at = (t: number | undefined) => String(Math.round(((t ?? t0) - t0) * 1000)).padStart(5);
        console.log(
          `  ${at(started.get(e.requestId))} → ${at(e.timestamp)} ms ${String(Math.round(e.encodedDataLength / 1024)).padStart(4)} KiB ${type.padEnd(10)} ${urls.get(e.requestId)}`,
        );
      }
    });
    await page.goto(url, { waitUntil: "commit" });
    // The page's own clock: milliseconds since the navigation started.
    const usableAt = (await (
      await page.waitForFunction(() => (window as unknown as { __usableAt?: number }).__usableAt, undefined, {
        timeout: 60_000,
        polling: 50,
      })
    ).jsonValue()) as number;
    // What the page still fetches once usable (fonts, icons, lazy chunks) counts in what it transfers.
    await page.waitForLoadState("networkidle");
    await cdp.detach();
    return { ms: usableAt, bytes, requests, byType };
  } finally {
    await context.close();
  }
}

/** A bare static page: a two-field form and nothing else, the floor of any first load on this network. */
function startBarePage(): Promise<http.Server> {
  const html = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Connexion</title></head>
<body><main><h1>Connexion</h1><form><label>Adresse électronique <input id="email" type="email"></label>
<label>Mot de passe <input id="password" type="password"></label><button>Se connecter</button></form></main></body></html>`;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    res.end(html);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const kb = (n: number) => `${(n / 1024).toFixed(0).padStart(5)} KiB`;
const s = (n: number) => `${(n / 1000).toFixed(2).padStart(5)} s`;

function summary(loads: Load[]) {
  const mid = [...loads].sort((a, b) => a.ms - b.ms)[Math.floor(loads.length / 2)]!;
  return {
    p50: percentile(
      loads.map((l) => l.ms),
      50,
    ),
    max: Math.max(...loads.map((l) => l.ms)),
    bytes: mid.bytes,
    requests: mid.requests,
    byType: mid.byType,
  };
}

function line(name: string, loads: Load[]) {
  const r = summary(loads);
  const parts = Object.entries(r.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t.toLowerCase()} ${(n / 1024).toFixed(0)}`)
    .join(", ");
  console.log(
    `${name.padEnd(46)} usable p50 ${s(r.p50)} max ${s(r.max)} | ${kb(r.bytes)} in ${String(r.requests).padStart(2)} requests (${parts} KiB)`,
  );
  return r;
}

/** Runs the two sides RUNS times each, alternating which goes first. */
async function pairedLoads(a: () => Promise<Load>, b: () => Promise<Load>): Promise<[Load[], Load[]]> {
  const out: [Load[], Load[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      out[0].push(await a());
      out[1].push(await b());
    } else {
      out[1].push(await b());
      out[0].push(await a());
    }
  }
  return out;
}

async function main() {
  if (!existsSync(`${WEB_DIST_DIR}/index.html`)) throw new Error("run pnpm build:web first");
  const t0 = performance.now();
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const { db, close } = createDatabase({ url: scratch.url });
  await db.insert(territories).values({ code: "sud", name: "Sud" });
  const [est] = await db
    .insert(establishments)
    .values({
      finess: "970000001",
      name: "CH Banc d'essai",
      category: "ch",
      sector: "es",
      territory: "sud",
      nis2Status: "essential",
    })
    .returning();
  await db.insert(users).values({
    email: "rssi@bench.test",
    displayName: "Banc (RSSI)",
    role: "rssi",
    establishmentId: est!.id,
    passwordHash: await hashPassword(PASSWORD),
  });
  await close();

  const port = await freePort();
  children.start("services/api/src/server.ts", {
    NODE_OPTIONS: API_NODE_OPTIONS,
    DATABASE_URL: scratch.url,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    JWT_SECRET: randomUUID() + randomUUID(),
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    MIGRATE_ON_START: "false",
    PORT: String(port),
    HOST: "127.0.0.1",
    WEB_DIST_DIR,
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health/live`);
  const bare = await startBarePage();
  const bareOrigin = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

  // One session for every signed-in load: the cookie is all a returning RSSI's browser has.
  const signIn = await fetch(`${origin}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "rssi@bench.test", password: PASSWORD }),
  });
  if (signIn.status !== 200) throw new Error(`login → ${signIn.status} ${await signIn.text()}`);
  const setCookie = signIn.headers.getSetCookie().find((c) => c.startsWith("pris_session="));
  if (!setCookie) throw new Error("no session cookie");
  const cookie = {
    name: "pris_session",
    value: setCookie.split(";")[0]!.slice("pris_session=".length),
    url: origin,
  };

  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
    env: { ...process.env, LD_PRELOAD: "" },
  });
  try {
    const LOGIN_FORM = 'input[autocomplete="current-password"]';
    const DECLARATION_FORM = 'form[aria-label="Déclaration d\'incident"] textarea';
    // Warm the server (its first answers compile routes and open the pool), not the browser.
    await load(browser, `${origin}/connexion`, LOGIN_FORM);
    await load(browser, `${origin}/declarer`, DECLARATION_FORM, { cookie });

    console.log(
      `\n${RUNS} cold loads per side, interleaved; 1.6 Mbps down / 750 kbps up / 150 ms RTT, CPU ${CPU_SLOWDOWN}× slower, 390 px phone`,
    );
    const [barePage] = await pairedLoads(
      () => load(browser, `${bareOrigin}/`, "#password"),
      async () => ({ ms: 0, bytes: 0, requests: 0, byType: {} }),
    );
    line("bare static page with a form (floor)", barePage);
    const [login, loginIdentity] = await pairedLoads(
      () => load(browser, `${origin}/connexion`, LOGIN_FORM),
      () => load(browser, `${origin}/connexion`, LOGIN_FORM, { identity: true }),
    );
    line("login form (/connexion), compressed", login);
    line("login form, Accept-Encoding: identity", loginIdentity);
    const [declare, declareIdentity] = await pairedLoads(
      () => load(browser, `${origin}/declarer`, DECLARATION_FORM, { cookie }),
      () => load(browser, `${origin}/declarer`, DECLARATION_FORM, { cookie, identity: true }),
    );
    const d = line("declaration form (/declarer, signed in), compressed", declare);
    line("declaration form, Accept-Encoding: identity", declareIdentity);
    console.log(
      `\nthe declaration form is usable after ${s(d.p50).trim()} at p50 on a phone network (target < ${TARGET_MS / 1000} s) ${d.p50 < TARGET_MS ? "✓" : "✗"}`,
    );
  } finally {
    await browser.close();
    bare.close();
  }
  console.log(`whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await children.stopAll();
  if (process.env.BENCH_KEEP === "1") console.log(`kept database ${scratch.name}`);
  else await scratch.drop();
}
