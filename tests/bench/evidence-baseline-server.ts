import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/**
 * The bare baseline of the evidence benchmark: the request body piped to a file of the same store (the
 * same directory, a fresh id) with pipeline(), nothing else — no multipart, hash, type, scan, database
 * or authentication. What the real upload is compared with.
 */
const dir = process.env.BENCH_EVIDENCE_DIR;
if (!dir) throw new Error("BENCH_EVIDENCE_DIR is required");
await mkdir(path.join(dir, "baseline"), { recursive: true });
const server = http.createServer((req, res) => {
  if (req.method !== "POST") {
    res.writeHead(404).end();
    return;
  }
  pipeline(req, createWriteStream(path.join(dir, "baseline", randomUUID()))).then(
    () => res.writeHead(201).end(),
    () => res.writeHead(500).end(),
  );
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
