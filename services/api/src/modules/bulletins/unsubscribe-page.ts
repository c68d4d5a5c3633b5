import Handlebars from "handlebars";
import type { UnsubscribeState } from "./unsubscribe-service.ts";

// An environment of our own, strict (a missing field is an error) and escaping every {{value}}.
const page = Handlebars.create().compile<{
  title: string;
  regionName: string;
  body: string;
  action: string | null;
}>(
  `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{title}} — PRIS</title>
<style>
body{margin:0;font-family:Marianne,Arial,Helvetica,sans-serif;color:#161616;background:#f6f6f6}
main{max-width:40rem;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #ddd}
h1{font-size:1.5rem;margin-top:0}
button{font:inherit;font-weight:bold;padding:.6rem 1rem;background:#000091;color:#fff;border:0;cursor:pointer}
p.muted{color:#666;font-size:.875rem}
</style>
</head>
<body>
<main>
<h1>{{title}}</h1>
<p>{{body}}</p>
{{#if action}}
<form method="post" action="{{action}}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Confirmer le désabonnement</button>
</form>
{{/if}}
<p class="muted">PRIS, point de contact régional cyber santé ({{regionName}}).</p>
</main>
</body>
</html>
`,
  { strict: true },
);

/** The page a person sees on opening the link: it asks before doing anything (mail scanners open links). */
export function confirmPage(state: UnsubscribeState, action: string, regionName: string): string {
  if (!state.subscribed) return donePage(state, regionName);
  return page({
    title: "Se désabonner des bulletins d'alerte",
    body:
      `La boîte fonctionnelle ${state.mailbox} de ${state.establishmentName} reçoit les bulletins d'alerte ` +
      "du pôle régional cyber. Après le désabonnement, ils n'iront plus qu'aux RSSI, suppléants et comptes " +
      "de l'établissement, et le RSSI de l'établissement en sera informé par courriel.",
    action,
    regionName,
  });
}

export function donePage(state: UnsubscribeState, regionName: string): string {
  return page({
    title: "Désabonnement enregistré",
    body:
      `La boîte ${state.mailbox} ne recevra plus les bulletins d'alerte destinés à ${state.establishmentName}. ` +
      "Le RSSI de l'établissement en est informé ; il peut l'abonner de nouveau depuis la page de " +
      "l'établissement dans PRIS.",
    action: null,
    regionName,
  });
}

export function invalidPage(expired: boolean, regionName: string): string {
  return page({
    title: expired ? "Lien expiré" : "Lien non valable",
    body: expired
      ? "Ce lien de désabonnement a expiré. Utilisez celui d'un bulletin plus récent, ou demandez au RSSI de " +
        "l'établissement de retirer la boîte fonctionnelle de ses contacts dans PRIS."
      : "Ce lien de désabonnement n'est pas valable : vérifiez qu'il a été copié en entier.",
    action: null,
    regionName,
  });
}
