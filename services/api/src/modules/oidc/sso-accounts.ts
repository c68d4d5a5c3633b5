import type { OidcProvider } from "@pris/config";
import {
  type AuditActor,
  type Db,
  findAccountByEmail,
  findIdentityAccount,
  linkedSubject,
  linkIdentity,
  touchIdentity,
  users,
  writeAudit,
} from "@pris/db";
import { ROLE_LABELS, type Role } from "@pris/domain";
import { eq } from "drizzle-orm";
import type { SsoRefusal } from "./sso-page.ts";

/** What the provider says of the person, from the ID token and its userinfo. */
export interface SsoClaims {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  acr: string | null;
}

export type SsoMatch =
  | { ok: true; userId: string; role: Role; linked: boolean }
  | { ok: false; refusal: SsoRefusal; userId: string | null };

/** Whom a refused person should ask: the pole opens the establishments' accounts, the administrator the others'. */
export function whomToAsk(provider: OidcProvider, regionName: string): string {
  return provider.roles.every((r) => r === "rssi")
    ? `le pôle régional cyber de ${regionName}`
    : "l'administrateur de PRIS";
}

const refuse = (code: string, message: string, userId: string | null = null): SsoMatch => ({
  ok: false,
  refusal: { status: 403, code, message },
  userId,
});

/**
 * Finds the account of a person the provider vouched for: by the provider's subject once linked; on first
 * use by their verified e-mail, linking it (audit auth.sso_link). Never creates an account; refuses an
 * unknown person, an unverified e-mail, a disabled account and a role this provider may not sign in.
 */
export async function matchAccount(
  db: Db,
  provider: OidcProvider,
  claims: SsoClaims,
  context: { regionName: string; actor: Omit<AuditActor, "userId" | "label"> },
): Promise<SsoMatch> {
  const whom = whomToAsk(provider, context.regionName);
  return db.transaction(async (tx) => {
    let account = await findIdentityAccount(tx, provider.name, claims.subject);
    let linked = false;
    if (!account) {
      if (!claims.email)
        return refuse(
          "email_missing",
          `${provider.label} n'a pas transmis votre adresse électronique : PRIS ne peut pas retrouver votre compte. Demandez à ${whom} de vérifier votre accès.`,
        );
      if (!claims.emailVerified)
        return refuse(
          "email_unverified",
          `Votre adresse électronique (${claims.email}) n'est pas vérifiée chez ${provider.label} : elle ne peut pas servir à retrouver votre compte PRIS. Faites-la vérifier chez ${provider.label}, ou connectez-vous avec votre mot de passe.`,
        );
      const byEmail = await findAccountByEmail(tx, claims.email);
      if (!byEmail)
        return refuse(
          "unknown_person",
          `Aucun compte PRIS n'est ouvert pour ${claims.email}. Une connexion par ${provider.label} ne crée pas de compte : demandez à ${whom} de vous inviter.`,
        );
      const other = await linkedSubject(tx, provider.name, byEmail.userId);
      if (other !== undefined)
        return refuse(
          "identity_conflict",
          `Le compte PRIS de ${claims.email} est déjà lié à une autre identité ${provider.label}. Demandez à ${whom} de vérifier votre accès.`,
          byEmail.userId,
        );
      account = { ...byEmail, identityEmail: null };
      linked = true;
    }
    const role = account.role as Role;
    if (!account.active)
      return refuse(
        "account_disabled",
        `Votre compte PRIS est désactivé. Demandez à ${whom} de le réactiver.`,
        account.userId,
      );
    if (!(provider.roles as readonly string[]).includes(role))
      return refuse(
        "role_not_allowed",
        `Votre compte PRIS (${ROLE_LABELS[role] ?? role}) ne peut pas se connecter avec ${provider.label}. Utilisez le moyen de connexion prévu pour votre rôle, ou votre mot de passe ; en cas de doute, demandez à ${whom}.`,
        account.userId,
      );
    if (linked) {
      await linkIdentity(tx, {
        provider: provider.name,
        subject: claims.subject,
        userId: account.userId,
        email: claims.email ?? account.email,
      });
      await writeAudit(
        tx,
        { ...context.actor, userId: account.userId, label: account.displayName },
        {
          action: "auth.sso_link",
          objectKind: "user",
          objectId: account.userId,
          objectLabel: account.email,
          after: { provider: provider.label, subject: claims.subject, email: claims.email },
        },
      );
    } else {
      await touchIdentity(tx, provider.name, claims.subject, claims.email);
    }
    await tx.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, account.userId));
    return { ok: true as const, userId: account.userId, role, linked };
  });
}

/** Writes auth.sso_refused: who was refused (as far as known), by which provider, and why. */
export async function recordRefusal(
  db: Db,
  provider: OidcProvider,
  refusal: SsoRefusal,
  who: { userId: string | null; email: string | null; subject: string | null },
  actor: Omit<AuditActor, "userId" | "label">,
): Promise<void> {
  await db.transaction((tx) =>
    writeAudit(
      tx,
      { ...actor, userId: who.userId, label: who.email ?? `inconnu (${provider.label})` },
      {
        action: "auth.sso_refused",
        objectKind: "identity_provider",
        objectId: provider.name,
        objectLabel: provider.label,
        after: { code: refusal.code, reason: refusal.message, subject: who.subject, email: who.email },
      },
    ),
  );
}
