import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "@pris/config";
import type { Registry } from "prom-client";

export interface MetricsServer {
  /** Where Prometheus scrapes: http://host:port/metrics. */
  url: string;
  close(): Promise<void>;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Whether an Authorization header carries the token, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (\S+)$/i.exec(header ?? "")?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * GET /metrics on a listener of its own (METRICS_HOST:METRICS_PORT), never on the public port: no route,
 * hook or OpenAPI entry of the public app sees it. With METRICS_TOKEN set, every request must carry it as a
 * bearer token; any other gets 401 and an empty body, whatever its path.
 */
export async function startMetricsServer(
  config: Pick<Config, "METRICS_HOST" | "METRICS_TOKEN">,
  port: number,
  registry: Registry,
  onError: (err: unknown) => void,
): Promise<MetricsServer> {
  const token = config.METRICS_TOKEN;
  const server = createServer((req, res) => {
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="metrics"', "content-length": 0 }).end();
      return;
    }
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-length": 0 }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        onError(err);
        res.writeHead(500, { "content-length": 0 }).end();
      },
    );
  });
  // Prometheus keeps its connection open between scrapes; close() must not wait for it.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, config.METRICS_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
