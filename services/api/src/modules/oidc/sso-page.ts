import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendProblem } from "../../plugins/errors.ts";

const STYLE = [
  "body{font-family:Marianne,Arial,sans-serif;margin:0;color:#161616;background:#f6f6f6}",
  "main{max-width:40rem;margin:3rem auto;padding:2rem;background:#fff;border-left:4px solid #ce0500}",
  "h1{font-size:1.5rem;margin-top:0}a{color:#000091}",
].join("");

/** The page's only style, allowed by its hash: the page carries a policy of its own, stricter than the app's. */
const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

export interface SsoRefusal {
  status: 400 | 403 | 503;
  /** Stable, in English: the audit entry's and the problem's code. */
  code: string;
  /** For the person, in French: what happened and what to do. */
  message: string;
}

/**
 * A refused single sign-on: a French page for a person's browser, a problem+json for anything else
 * (the same status and code).
 */
export function sendSsoRefusal(request: FastifyRequest, reply: FastifyReply, refusal: SsoRefusal) {
  if (!(request.headers.accept ?? "").includes("text/html")) {
    return sendProblem(request, reply, refusal.status, refusal.code, refusal.message);
  }
  const html = `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connexion refusée — PRIS</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Connexion refusée</h1>
<p>${escapeHtml(refusal.message)}</p>
<p><a href="/connexion">Revenir à la page de connexion</a></p>
<p><small>Référence de la demande : ${escapeHtml(String(request.id))}</small></p>
</main>
</body>
</html>`;
  return reply
    .code(refusal.status)
    .header("content-security-policy", CSP)
    .type("text/html; charset=utf-8")
    .send(html);
}
