import type { SessionInfo, SsoProvider } from "@pris/domain";

/**
 * How a session's person proved who they are (its amr, RFC 8176 words where they exist), in French, as
 * "Mes sessions" and the administrator's list say it. Lower case: the words are joined into a sentence.
 */
export const AUTH_METHOD_LABELS: Record<string, string> = {
  pwd: "mot de passe",
  invitation: "mot de passe choisi depuis une invitation",
  reset: "mot de passe choisi depuis un lien de réinitialisation",
  webauthn: "clé d'accès",
  otp: "application d'authentification",
  recovery: "code de secours",
  sso: "authentification unique",
  mfa: "double facteur chez le fournisseur",
};

/** The first factor comes first in the sentence, whatever order the session recorded them in. */
const FIRST_FACTORS = ["sso", "pwd", "invitation", "reset"];

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * "Mot de passe + clé d'accès", "Authentification unique (ProConnect)"… A method this version does not
 * know is shown by its code rather than hidden. `providers` gives the providers' labels (the public
 * configuration); a provider it does not name is shown by its key.
 */
export function describeSignIn(
  session: Pick<SessionInfo, "methods" | "provider">,
  providers: readonly SsoProvider[] = [],
): string {
  const methods = [...new Set(session.methods)].sort(
    (a, b) => rank(a) - rank(b) || session.methods.indexOf(a) - session.methods.indexOf(b),
  );
  const words = methods.map((m) => {
    if (m !== "sso") return AUTH_METHOD_LABELS[m] ?? m;
    const provider = session.provider
      ? (providers.find((p) => p.name === session.provider)?.label ?? session.provider)
      : null;
    return provider ? `${AUTH_METHOD_LABELS.sso} (${provider})` : AUTH_METHOD_LABELS.sso;
  });
  if (words.length === 0) return "Méthode non enregistrée";
  return capitalised(words.join(" + "));
}

function rank(method: string): number {
  const i = FIRST_FACTORS.indexOf(method);
  return i === -1 ? FIRST_FACTORS.length : i;
}

/** "1 session terminée", "3 sessions terminées", or that there was none. */
export function endedMessage(ended: number): string {
  if (ended === 0) return "Aucune session n'était ouverte : rien à terminer.";
  return `${ended.toLocaleString("fr-FR")} session${ended > 1 ? "s" : ""} terminée${ended > 1 ? "s" : ""}.`;
}
