/**
 * An SMTP server that accepts everything and keeps only counts, in its own process so that it never
 * shares a core with what is measured. Told over IPC how many messages to expect, it answers with the
 * time the last one was accepted, how many distinct recipients and Message-IDs it saw. Told a Message-ID
 * prefix, it counts only the messages whose Message-ID starts with it; told `times`, it also answers with
 * the time each of them was accepted.
 */
import { SMTPServer } from "smtp-server";

let expected = 0;
let prefix = "";
let wantTimes = false;
let count = 0;
const times: [string, number][] = [];
const recipients = new Map<string, number>();
const messageIds = new Set<string>();

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, session, callback) {
    let head = "";
    stream.on("data", (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString("utf8");
    });
    stream.on("end", () => {
      const acceptedAt = Date.now();
      const id = /^Message-ID:\s*(\S+)/im.exec(head)?.[1];
      // Read before the answer: the server resets the session's envelope for the connection's next message.
      const rcptTo = [...session.envelope.rcptTo];
      callback();
      if (prefix && !id?.startsWith(prefix)) return;
      count += 1;
      for (const r of rcptTo) recipients.set(r.address, (recipients.get(r.address) ?? 0) + 1);
      if (id) messageIds.add(id);
      if (id && wantTimes) times.push([id, acceptedAt]);
      if (count === expected) {
        process.send?.({
          done: Date.now(),
          count,
          distinct: recipients.size,
          duplicates: [...recipients.values()].filter((n) => n > 1).length,
          messageIds: messageIds.size,
          ...(wantTimes ? { times } : {}),
        });
      }
    });
  },
});
server.on("error", () => {});

process.on("message", (msg: { expect: number; prefix?: string; times?: boolean }) => {
  expected = msg.expect;
  prefix = msg.prefix ?? "";
  wantTimes = msg.times ?? false;
  times.length = 0;
  count = 0;
  recipients.clear();
  messageIds.clear();
  process.send?.({ ready: true });
});

server.listen(Number(process.env.SINK_PORT), "127.0.0.1", () => process.send?.({ listening: true }));
