import type { ServerResponse } from "node:http";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { QueuePageSchema, QueueQuerySchema, type Role } from "@pris/domain";
import Type from "typebox";
import { type Principal, requireUser } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { IncidentFeed } from "./queue-feed.ts";
import { readQueue } from "./queue-service.ts";

/** The pole works the queue; the task force sees the part of it in its scope (incidentScope). */
const QUEUE_ROLES: readonly Role[] = ["analyst", "taskforce"];
const HEARTBEAT_MS = 20_000;
/**
 * A stream is closed after this long; EventSource reconnects by itself (after `retry`), which checks
 * the session again: a disabled account or an expired session does not keep hearing of incidents.
 */
const STREAM_MAX_MS = 15 * 60_000;
/** A subscriber that reads slower than this much buffered output is dropped (it will reconnect). */
const MAX_BUFFERED_BYTES = 1 << 20;

const queueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool } = app.database;
  const feed = new IncidentFeed(app.config.DATABASE_URL, app.database.db, app.log);
  app.metrics.countLiveQueueSubscribers(() => feed.size);
  const streams = new Set<ServerResponse>();

  // Open streams would hold the server's close forever.
  app.addHook("preClose", async () => {
    for (const res of streams) res.end();
  });
  app.addHook("onClose", async () => {
    await feed.close();
  });

  app.get(
    "/queue",
    {
      config: { access: QUEUE_ROLES },
      schema: {
        tags: ["queue"],
        operationId: "getQueue",
        summary: "The analysts' queue: open incidents, most urgent first",
        description:
          "Open incidents (not closed, rejected or merged) in the caller's scope, ordered by severity (P1 first), " +
          "then the nearest service-level or regulatory deadline (none last), then id; keyset pages with an " +
          "opaque cursor. `counts` gives the open incidents per status for the same filters except status; " +
          "`total` those matching every filter. For analysts and the task force (its part); others get 403.",
        querystring: QueueQuerySchema,
        response: { 200: QueuePageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => readQueue(pool, requireUser(request.principal), request.query),
  );

  app.get(
    "/queue/events",
    {
      config: { access: QUEUE_ROLES },
      schema: {
        tags: ["queue"],
        operationId: "streamQueueEvents",
        summary: "Live queue updates as server-sent events",
        description:
          "text/event-stream, authenticated by the session cookie (EventSource sends it) or a bearer token. " +
          "Events: `incident.declared` {id, reference, severity, establishmentName} and `incident.changed` {id}, " +
          "each for incidents in the caller's scope only, within a second of the commit; `queue.resync` {} " +
          "when notifications may have been missed (re-read the queue). A comment line every 20 s keeps " +
          "proxies from closing the stream; the server ends it after 15 minutes and EventSource reconnects. " +
          "On every (re)connection the client re-reads the queue: nothing is replayed.",
        response: {
          200: {
            description: "The event stream",
            content: { "text/event-stream": { schema: Type.String() } },
          },
          ...problems(401, 403),
        },
      },
    },
    async (request, reply) => {
      const principal: Principal = requireUser(request.principal);
      const res = reply.raw;
      let early: string[] | undefined = [];
      const send = (event: string, data: unknown) => {
        const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
        if (early) early.push(message);
        else if (res.writableEnded) return;
        else if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
        else res.write(message);
      };
      // Listening before the 200 goes out: whatever commits after the client sees the stream open reaches it.
      const unsubscribe = await feed.subscribe({ principal, send });
      reply.hijack();
      if (res.destroyed) {
        unsubscribe();
        return;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": request.id,
      });
      res.write(`retry: 5000\n: connected\n\n${early.join("")}`);
      early = undefined;
      streams.add(res);
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) res.write(": heartbeat\n\n");
      }, HEARTBEAT_MS);
      const expiry = setTimeout(() => res.end(), STREAM_MAX_MS);
      heartbeat.unref();
      expiry.unref();
      const done = () => {
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe();
        streams.delete(res);
      };
      // Emitted when the client goes away as well as when the server ends the stream.
      res.once("close", done);
    },
  );
};

export default queueRoutes;
