import type { AuditActor } from "@pris/db";
import type { FastifyRequest } from "fastify";
import { requireUser } from "./auth/principal.ts";

/** The person behind an administrative request, as the trail records them. */
export function auditActor(request: FastifyRequest): AuditActor {
  const user = requireUser(request.principal);
  return { userId: user.id, label: user.displayName, requestId: request.id, ip: request.ip };
}

/** Someone acting through an e-mailed link, without an account or a session, as the trail records them. */
export function linkActor(request: FastifyRequest): AuditActor {
  return { userId: null, label: "lien reçu par e-mail", requestId: request.id, ip: request.ip };
}
