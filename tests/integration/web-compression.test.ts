import { readFileSync } from "node:fs";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WEB_DIST_DIR } from "../support/browser.ts";
import { createUser, login, startTestApp, type TestApp } from "../support/fixtures.ts";

/**
 * The web app's files go out compressed to a browser that asks (the build writes a brotli and a gzip
 * copy of each, services/web/vite.config.ts; the API picks one, plugins/web.ts), as they are to one that
 * does not, always with Vary: Accept-Encoding so that no shared cache hands one to the other; their cache
 * headers are those of security-headers.test.ts. API answers are never compressed (BREACH: they carry
 * CSRF tokens, session tokens and acknowledgement links beside what a user typed).
 */

const BROWSER = "gzip, deflate, br, zstd";

/** The entry script and the stylesheets the built page names: what every first load fetches. */
function builtFiles() {
  const html = readFileSync(path.join(WEB_DIST_DIR, "index.html"), "utf8");
  const script = html.match(/<script type="module" crossorigin src="([^"]+)"/)?.[1];
  if (!script) throw new Error("no entry script in dist/index.html: run pnpm build:web");
  return { script, dsfrCss: "/dsfr/dsfr.min.css" };
}

function onDisk(url: string): Buffer {
  return readFileSync(path.join(WEB_DIST_DIR, url.replace(/\?.*$/, "")));
}

function varies(headers: Record<string, unknown>): string[] {
  return String(headers.vary ?? "")
    .toLowerCase()
    .split(/\s*,\s*/);
}

describe("the web app's files, compressed when asked", () => {
  let t: TestApp;
  let files: ReturnType<typeof builtFiles>;

  beforeAll(async () => {
    files = builtFiles();
    t = await startTestApp({ WEB_DIST_DIR });
  });
  afterAll(() => t.close());

  const get = (url: string, acceptEncoding?: string, accept = "*/*") =>
    t.app.inject({
      method: "GET",
      url,
      headers: { accept, ...(acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding }) },
    });

  test("brotli to a browser that accepts it, the file itself once decompressed, cached for a year", async () => {
    const res = await get(files.script, BROWSER);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBe("br");
    expect(res.headers["content-type"]).toMatch(/^(text|application)\/javascript/);
    expect(varies(res.headers)).toContain("accept-encoding");
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const original = onDisk(files.script);
    expect(res.rawPayload.length).toBeLessThan(original.length / 2);
    expect(brotliDecompressSync(res.rawPayload).equals(original)).toBe(true);
    expect(Number(res.headers["content-length"])).toBe(res.rawPayload.length);
  });

  test("gzip to one that accepts only gzip, or refuses brotli", async () => {
    for (const accept of ["gzip", "gzip, deflate", "br;q=0, gzip"]) {
      const res = await get(files.script, accept);
      expect(res.headers["content-encoding"], accept).toBe("gzip");
      expect(varies(res.headers), accept).toContain("accept-encoding");
      expect(gunzipSync(res.rawPayload).equals(onDisk(files.script)), accept).toBe(true);
    }
  });

  test("the file itself, with the same Vary, to one that accepts no compression", async () => {
    for (const accept of [undefined, "identity", "br;q=0, gzip;q=0", "compress"]) {
      const res = await get(files.script, accept);
      const what = String(accept);
      expect(res.statusCode, what).toBe(200);
      expect(res.headers["content-encoding"], what).toBeUndefined();
      expect(varies(res.headers), what).toContain("accept-encoding");
      expect(res.rawPayload.equals(onDisk(files.script)), what).toBe(true);
      expect(res.headers["cache-control"], what).toBe("public, max-age=31536000, immutable");
    }
  });

  test("the DSFR stylesheet, compressed too, revalidated at every load like the page", async () => {
    const br = await get(`${files.dsfrCss}?v=1.14.2`, BROWSER);
    expect(br.statusCode).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["content-type"]).toMatch(/^text\/css/);
    expect(br.headers["cache-control"]).toBe("no-cache");
    expect(varies(br.headers)).toContain("accept-encoding");
    // 586 KiB of CSS: brotli brings it under 60 KiB.
    expect(br.rawPayload.length).toBeLessThan(60 * 1024);
    expect(brotliDecompressSync(br.rawPayload).equals(onDisk(files.dsfrCss))).toBe(true);
    const plain = await get(files.dsfrCss, "identity");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.rawPayload.equals(onDisk(files.dsfrCss))).toBe(true);
  });

  test("the page, at / and at a client-side route: compressed, fresh at every load", async () => {
    for (const url of ["/", "/declarer", "/connexion"]) {
      const res = await get(url, BROWSER, "text/html");
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.headers["cache-control"], url).toBe("no-cache");
      expect(varies(res.headers), url).toContain("accept-encoding");
      expect(res.headers["content-encoding"], url).toBe("br");
      expect(brotliDecompressSync(res.rawPayload).toString(), url).toContain(files.script);
      const plain = await get(url, undefined, "text/html");
      expect(plain.headers["content-encoding"], url).toBeUndefined();
      expect(plain.body, url).toContain(files.script);
    }
  });

  test("a missing asset is still a 404 problem, whatever the browser accepts", async () => {
    const res = await get("/assets/no-such-file.js", BROWSER);
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  test("API answers are not compressed, and stay no-store", async () => {
    const rssi = await login(t.app, (await createUser(t.db, { role: "analyst" })).email);
    for (const [url, headers] of [
      ["/api/v1/auth/session", rssi.cookie],
      ["/api/v1/config/public", {}],
    ] as const) {
      const res = await t.app.inject({
        method: "GET",
        url,
        headers: { ...headers, "accept-encoding": BROWSER },
      });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-encoding"], url).toBeUndefined();
      expect(res.headers["cache-control"], url).toBe("no-store");
    }
  });
});
