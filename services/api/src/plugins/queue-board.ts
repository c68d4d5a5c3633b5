import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import { QUEUE_NAMES } from "@pris/domain";
import { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import type { Access } from "../auth/principal.ts";

/**
 * Where operators see the worker's queues. Outside /api/: it is an HTML application of its own (its page,
 * its scripts, its JSON), not part of the API's contract, and beside the web app's other admin pages.
 */
export const QUEUE_BOARD_PATH = "/administration/files-attente";

const ADMIN_ONLY: Access = ["admin"];

/**
 * The board's page styles itself inline (style attributes, a style element, and style elements its
 * scripts insert): on its path alone, styles may be inline. Scripts stay the app's own. A hash would not
 * do: the attributes need 'unsafe-hashes' and the inserted elements change with the board's version.
 * 'unsafe-inline' is ignored where a hash is listed, so the directive is replaced, not extended.
 */
export function boardCsp(header: string): string {
  return header.replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'");
}

/** The board's page asks Google for its font: never from a service holding health data. */
const EXTERNAL_FONT = /<link[^>]*href="https:\/\/fonts\.googleapis\.com[^>]*>\s*/g;

/**
 * bull-board on the worker's queues, for administrators only, read-only.
 *
 * Access: each of the board's routes gets `config.access = ["admin"]`, so the application's one
 * authentication hook (plugins/auth.ts) checks it like any other route: no credentials → 401, another
 * role → 403, a session still owing its second factor → 401 second_factor_required; its errors go through
 * the application's error handler (problem+json), not the board's own.
 *
 * Read-only (its write routes answer 405): the board's page sends no CSRF token, which the API requires
 * of every write made with the session cookie, and the API does not relax that for one page.
 */
export default async function queueBoard(app: FastifyInstance) {
  // The API's own Redis connection: the board only reads, and opens no blocking connection.
  const queues = Object.values(QUEUE_NAMES).map((name) => {
    const queue = new Queue(name, { connection: app.redis });
    queue.on("error", (err) => app.log.debug({ err: err.message, queue: name }, "queue board: redis error"));
    return queue;
  });
  // The page's <base href> and its calls to its own API are built from this path.
  const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: "PRIS — files d'attente", locale: { lng: "fr-FR" } },
    },
  });

  const appErrorHandler = app.errorHandler;
  await app.register(
    async (board) => {
      board.addHook("onRoute", (route) => {
        route.config = { ...route.config, access: ADMIN_ONLY };
        route.errorHandler = appErrorHandler;
      });
      board.addHook("onSend", async (request, reply, payload) => {
        const csp = reply.getHeader("content-security-policy");
        if (typeof csp === "string") reply.header("content-security-policy", boardCsp(csp));
        if (request.url.startsWith(`${QUEUE_BOARD_PATH}/static/`)) return payload;
        // Job names and ids, Redis's figures: nothing for a shared cache.
        reply.header("cache-control", "no-store");
        return typeof payload === "string" ? payload.replace(EXTERNAL_FONT, "") : payload;
      });
      await board.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );

  app.addHook("onClose", async () => {
    // The connection is the API's (infra closes it); the queues only let go of it.
    await Promise.all(queues.map((queue) => queue.close()));
  });
}
