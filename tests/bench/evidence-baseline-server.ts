import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Busboy, type BusboyHeaders } from "@fastify/busboy";

/**
 * The bare baselines of the evidence benchmark, writing to files of the same store (the same directory,
 * a fresh id each):
 * - POST /upload: the request body piped to the file with pipeline(), nothing else — no multipart, hash,
 *   type, scan, database or authentication. What the real upload is compared with.
 * - POST /upload-hashed: the same, but the body is multipart (busboy, as @fastify/multipart uses) and the
 *   file's bytes are hashed (SHA-256) on the way: the least any upload that keeps a file's fingerprint
 *   must do, so what is left of the gap is the service's own (framework, authentication, database).
 */
const dir = process.env.BENCH_EVIDENCE_DIR;
if (!dir) throw new Error("BENCH_EVIDENCE_DIR is required");
await mkdir(path.join(dir, "baseline"), { recursive: true });

function answer(res: http.ServerResponse, done: Promise<unknown>) {
  done.then(
    () => res.writeHead(201).end(),
    () => res.writeHead(500).end(),
  );
}

const server = http.createServer((req, res) => {
  const file = () => createWriteStream(path.join(dir, "baseline", randomUUID()));
  if (req.method === "POST" && req.url === "/upload") return answer(res, pipeline(req, file()));
  if (req.method === "POST" && req.url === "/upload-hashed") {
    const hash = createHash("sha256");
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const parts = Busboy({ headers: req.headers as BusboyHeaders });
    parts.on("file", (_field, stream) => answer(res, pipeline(stream, hashing, file())));
    req.pipe(parts);
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
