/** What the intake benchmarks share: one establishment with an RSSI and an API key, and the declaration they post. */
import { generateApiKey, hashPassword } from "@pris/api";
import { apiKeys, createDatabase, establishments, territories, users } from "@pris/db";
import { migrateWithPasswordOnly } from "../support/migrate.ts";

export interface IntakeSeed {
  /** The API key's full secret, for `Authorization: ApiKey …`. */
  key: string;
  establishmentId: string;
  userId: string;
}

/** Migrates the (new, empty) database at `url` and seeds the declaring establishment. */
export async function seedIntake(url: string): Promise<IntakeSeed> {
  await migrateWithPasswordOnly(url);
  const { db, close } = createDatabase({ url });
  try {
    await db.insert(territories).values({ code: "sud", name: "Sud" });
    const [est] = await db
      .insert(establishments)
      .values({
        finess: "970000001",
        name: "CH Banc d'essai",
        category: "ch",
        sector: "es",
        territory: "sud",
        nis2Status: "essential",
      })
      .returning();
    const [user] = await db
      .insert(users)
      .values({
        email: "bench@pris.test",
        displayName: "Banc",
        role: "rssi",
        establishmentId: est!.id,
        passwordHash: await hashPassword("bench-password-1234"),
      })
      .returning();
    const key = generateApiKey();
    await db
      .insert(apiKeys)
      .values({ establishmentId: est!.id, name: "bench", prefix: key.prefix, secretHash: key.secretHash });
    return { key: key.key, establishmentId: est!.id, userId: user!.id };
  } finally {
    await close();
  }
}

/** A complete declaration as a JSON body: an establishment's SIEM or its RSSI would post this. */
export function declarationBody(): string {
  return JSON.stringify({
    declarant: { name: "Banc d'essai", phone: "+262 692 00 00 00" },
    detectedAt: new Date(Date.now() - 600_000).toISOString(),
    ongoing: true,
    title: "Rançongiciel sur le DPI",
    description: "Postes chiffrés aux urgences; messagerie indisponible.",
    rsitClass: "malicious-code",
    rsitType: "infected-system",
    suspectedMalicious: "yes",
    affectedServices: ["dpi", "email"],
    impactGrade: 2,
    spread: "single_site",
    personalData: { breach: "unknown" },
    support: { requested: true },
    nationalPortal: { declared: false },
    complaintFiled: false,
    observables: [{ type: "ipv4", value: "185.220.101.7" }],
    tlp: "AMBER",
  });
}
