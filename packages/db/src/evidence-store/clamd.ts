import net from "node:net";
import type { Config } from "@pris/config";

export type ScanStatus = "pending" | "clean" | "infected" | "unscannable";
export interface ScanVerdict {
  status: "clean" | "infected" | "unscannable";
  /** The signature found, or why the file could not be scanned. */
  detail: string | null;
}

export type ClamdTarget = { path: string } | { host: string; port: number };

export function clamdTarget(config: Pick<Config, "CLAMD_SOCKET" | "CLAMD_HOST" | "CLAMD_PORT">): ClamdTarget {
  return config.CLAMD_SOCKET
    ? { path: config.CLAMD_SOCKET }
    : { host: config.CLAMD_HOST, port: config.CLAMD_PORT };
}

const END = Buffer.alloc(4);

/**
 * One file streamed to clamd with the INSTREAM command (clamd(8)): "zINSTREAM\0", then chunks each
 * prefixed with its length as 4 bytes big-endian, then a zero length; clamd answers one line,
 * "stream: OK", "stream: <signature> FOUND" or "<reason> ERROR". Written by hand (about the size of a
 * client library's wrapper): the session is fed chunk by chunk as the stored file is read back, with
 * backpressure, never holding the file whole.
 *
 * A session never throws: clamd out of reach, closing early (a file over its StreamMaxLength), or
 * silent past the timeout makes the verdict "unscannable" with the reason.
 */
export class ClamdSession {
  private readonly socket: net.Socket;
  private failure: string | null = null;
  private answer = "";
  private readonly closed: Promise<void>;

  constructor(
    target: ClamdTarget,
    private readonly timeoutMs: number,
  ) {
    this.socket = net.connect(target);
    this.socket.setNoDelay(true);
    this.socket.on("data", (data: Buffer) => {
      this.answer += data.toString("latin1");
    });
    this.closed = new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.once("error", (err: NodeJS.ErrnoException) => {
        this.failure ??= `clamd injoignable (${err.code ?? err.message})`;
      });
    });
    this.socket.write("zINSTREAM\0");
  }

  /** Feeds a chunk; resolves when clamd's socket can take more (backpressure), at once after a failure. */
  write(chunk: Buffer): Promise<void> {
    if (this.failure || this.socket.destroyed) return Promise.resolve();
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(chunk.length);
    this.socket.write(length);
    if (this.socket.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** Ends the stream and waits for clamd's verdict. */
  async finish(): Promise<ScanVerdict> {
    if (!this.failure && !this.socket.destroyed) this.socket.end(END);
    const timer = setTimeout(() => {
      this.failure ??= `clamd n'a pas répondu en ${this.timeoutMs} ms`;
      this.socket.destroy();
    }, this.timeoutMs);
    await this.closed;
    clearTimeout(timer);
    return this.verdict();
  }

  /** The upload failed: nothing to scan. */
  abort() {
    this.socket.destroy();
  }

  private verdict(): ScanVerdict {
    const line = this.answer.replace(/\0.*$/s, "").trim();
    const found = /^stream: (.+) FOUND$/.exec(line);
    if (found) return { status: "infected", detail: found[1]!.slice(0, 200) };
    if (line === "stream: OK") return { status: "clean", detail: null };
    if (line) return { status: "unscannable", detail: `clamd : ${line.slice(0, 200)}` };
    return { status: "unscannable", detail: this.failure ?? "clamd a fermé la connexion sans verdict" };
  }
}
