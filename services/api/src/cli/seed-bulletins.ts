import type { Config } from "@pris/config";
import { bulletinRecipients, bulletins, type Db, establishments, users } from "@pris/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.ts";
import { createDraft, publishBulletin } from "../modules/bulletins/bulletin-service.ts";

const content = {
  risks: [] as string[],
  affectedSystems: "",
  products: [] as { vendor: string; product?: string; versions?: string }[],
  recommendations: "",
  cves: [] as string[],
  links: [] as string[],
  observables: [] as { type: "ipv4" | "domain" | "sha256"; value: string }[],
};

/**
 * Demo alert bulletins, once (when there are none): a published alert to the users of a declared VPN with
 * some answers already in, a published advisory to the EHPADs, a TLP:RED alert for the CHU's RSSI only,
 * and a draft. Published through the API's own service, so the worker e-mails them like any other.
 */
export async function seedBulletins(db: Db, config: Config): Promise<number> {
  const [existing] = await db.select({ n: sql<number>`count(*)::int` }).from(bulletins);
  if ((existing?.n ?? 0) > 0) return 0;
  const [analyst] = await db.select().from(users).where(eq(users.email, "analyste1@pris.test"));
  if (!analyst) return 0;
  const pole: Principal = {
    kind: "user",
    id: analyst.id,
    role: "analyst",
    displayName: analyst.displayName,
    ghtId: null,
    establishmentIds: [],
    via: "bearer",
  };
  const [chu] = await db
    .select({ id: establishments.id })
    .from(establishments)
    .where(eq(establishments.finess, "974000017"));

  const vpn = await createDraft(db, pole, {
    ...content,
    kind: "alerte",
    tlp: "AMBER",
    severity: "critical",
    audience: { products: [{ vendor: "Fortinet" }] },
    title: "Vulnérabilité critique dans FortiGate SSL-VPN activement exploitée",
    summary:
      "Une vulnérabilité de contournement d'authentification du VPN SSL de FortiOS est exploitée pour " +
      "déployer un rançongiciel. Deux établissements de santé en métropole ont été touchés cette semaine.",
    risks: ["Exécution de code arbitraire à distance", "Rançongiciel"],
    affectedSystems: "Passerelles VPN SSL exposées sur Internet",
    products: [{ vendor: "Fortinet", product: "FortiOS", versions: "7.0.0 à 7.4.2" }],
    recommendations:
      "Appliquer sans délai le correctif 7.4.3 ; réinitialiser les mots de passe des comptes VPN ; rechercher " +
      "dans les journaux les connexions depuis les adresses ci-dessous.",
    cves: ["CVE-2026-21762"],
    links: ["https://www.cert.ssi.gouv.fr/alerte/"],
    observables: [
      { type: "ipv4", value: "185.220.101.7" },
      { type: "domain", value: "update-fortigate.example" },
    ],
  });
  await publishBulletin(db, config, pole, vpn.id);
  const recipients = await db
    .select({ id: bulletinRecipients.id })
    .from(bulletinRecipients)
    .where(eq(bulletinRecipients.bulletinId, vpn.id))
    .orderBy(bulletinRecipients.email);
  const answers = ["concerned", "fixed", "not_concerned", "received"] as const;
  for (const [i, r] of recipients.slice(0, 4).entries()) {
    await db
      .update(bulletinRecipients)
      .set({ answer: answers[i]!, answeredAt: new Date(), readAt: new Date() })
      .where(and(eq(bulletinRecipients.id, r.id), inArray(bulletinRecipients.bulletinId, [vpn.id])));
  }

  const phishing = await createDraft(db, pole, {
    ...content,
    kind: "avis",
    tlp: "GREEN",
    severity: "high",
    audience: { categories: ["ehpad"] },
    title: "Campagne d'hameçonnage visant les EHPAD",
    summary:
      "Des courriels imitant l'ARS demandent aux directions de saisir leurs identifiants de messagerie.",
    recommendations:
      "Bloquer le domaine ci-dessous, prévenir les équipes administratives, signaler tout clic au pôle.",
    observables: [{ type: "domain", value: "ars-reunion-portail.example" }],
  });
  await publishBulletin(db, config, pole, phishing.id);

  if (chu) {
    const red = await createDraft(db, pole, {
      ...content,
      kind: "alerte",
      tlp: "RED",
      severity: "critical",
      audience: { establishmentIds: [chu.id] },
      title: "Compte de prestataire compromis ayant accès à votre SI",
      summary:
        "Un compte d'infogérance ayant accès à vos serveurs a été vu sur un forum criminel. Contactez le pôle.",
    });
    await publishBulletin(db, config, pole, red.id);
  }

  await createDraft(db, pole, {
    ...content,
    kind: "information",
    tlp: "CLEAR",
    severity: "low",
    audience: { all: true },
    title: "Exercice régional de crise cyber : dates et inscription",
    summary:
      "L'exercice régional aura lieu au printemps ; les établissements volontaires peuvent s'inscrire.",
  });
  return chu ? 4 : 3;
}
