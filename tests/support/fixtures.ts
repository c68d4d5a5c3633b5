import { randomBytes } from "node:crypto";
import { type App, buildApp, generateApiKey, hashPassword } from "@pris/api";
import type { Config } from "@pris/config";
import { apiKeys, type Db, establishments, ghts, territories, users } from "@pris/db";
import { type Category, type IncidentDeclaration, type Nis2Status, type Role, sectorOf } from "@pris/domain";
import { createTestDatabase, type TestDatabase, testConfig } from "./env.ts";

export const PASSWORD = "correct horse battery staple";

/** One hash for every test user: Argon2id is deliberately slow. */
let passwordHash: Promise<string> | undefined;
const sharedHash = () => {
  passwordHash ??= hashPassword(PASSWORD);
  return passwordHash;
};

const tag = () => randomBytes(4).toString("hex");

export interface TestApp {
  app: App;
  config: Config;
  db: Db;
  database: TestDatabase;
  close(): Promise<void>;
}

/** The API on a fresh database cloned from the migrated template. */
export async function startTestApp(overrides: Record<string, string | undefined> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...overrides });
  const app = await buildApp(config);
  await app.ready();
  return {
    app,
    config,
    db: app.database.db,
    database,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

export async function createTerritory(db: Db, code = "sud", name = "Sud") {
  await db.insert(territories).values({ code, name }).onConflictDoNothing();
  return code;
}

export async function createGht(db: Db, name = "GHT de test") {
  const [row] = await db
    .insert(ghts)
    .values({ code: `GHT-${tag()}`, name })
    .returning();
  return row!;
}

export async function createEstablishment(
  db: Db,
  overrides: Partial<{
    name: string;
    category: Category;
    territory: string;
    ghtId: string | null;
    nis2Status: Nis2Status;
    finess: string;
  }> = {},
) {
  const territory = await createTerritory(db, overrides.territory ?? "sud");
  const category = overrides.category ?? "ch";
  const [row] = await db
    .insert(establishments)
    .values({
      finess: overrides.finess ?? `974${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`,
      name: overrides.name ?? `Établissement ${tag()}`,
      category,
      sector: sectorOf(category),
      territory,
      ghtId: overrides.ghtId ?? null,
      nis2Status: overrides.nis2Status ?? "not_subject",
      contacts: { rssi: { name: "RSSI", email: `rssi-${tag()}@pris.test` } },
    })
    .returning();
  return row!;
}

export async function createUser(
  db: Db,
  options: {
    role: Role;
    establishmentId?: string | null;
    ghtId?: string | null;
    active?: boolean;
    name?: string;
  },
) {
  const email = `${options.role}-${tag()}@pris.test`;
  const [row] = await db
    .insert(users)
    .values({
      email,
      displayName: options.name ?? `${options.role} ${tag()}`,
      role: options.role,
      establishmentId: options.establishmentId ?? null,
      ghtId: options.ghtId ?? null,
      passwordHash: await sharedHash(),
      active: options.active ?? true,
    })
    .returning();
  return { ...row!, password: PASSWORD };
}

export async function createApiKey(db: Db, establishmentId: string) {
  const { key, prefix, secretHash } = generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({ establishmentId, name: "SIEM", prefix, secretHash })
    .returning();
  return { ...row!, key };
}

/** Signs in through the API and returns the headers each way of authenticating needs. */
export async function login(app: App, email: string, password = PASSWORD) {
  const res = await app.inject({ method: "POST", url: "/api/v1/auth/login", payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { accessToken: string; csrfToken: string };
  const cookie = res.cookies.find((c) => c.name === "pris_session");
  return {
    bearer: { authorization: `Bearer ${body.accessToken}` },
    cookie: { cookie: `pris_session=${cookie!.value}`, "x-csrf-token": body.csrfToken },
    cookieWithoutCsrf: { cookie: `pris_session=${cookie!.value}` },
    session: body,
  };
}

/**
 * A complete, valid declaration; tests override what they look at. Its RSIT type is left undetermined
 * (as allowed at intake) and malice unknown, so that its suggested severity follows the impact grade,
 * the spread and the breach alone: tests of the threat rule (tests/unit/severity.test.ts) name the threat.
 */
export function declaration(overrides: Partial<IncidentDeclaration> = {}): IncidentDeclaration {
  return {
    declarant: { name: "Rita Payet", function: "RSSI", phone: "+262 692 12 34 56" },
    detectedAt: new Date(Date.now() - 30 * 60_000).toISOString(),
    ongoing: true,
    title: "Rançongiciel sur les serveurs du DPI",
    description: "Écrans de rançon sur les postes des urgences depuis 2 h du matin.",
    rsitClass: "other",
    rsitType: "undetermined",
    suspectedMalicious: "unknown",
    affectedServices: ["dpi", "email"],
    impactGrade: 2,
    spread: "single_site",
    personalData: { breach: "unknown" },
    support: { requested: true, details: "Besoin d'un appui pour l'investigation" },
    nationalPortal: { declared: false },
    complaintFiled: false,
    observables: [{ type: "ipv4", value: "185.220.101.7" }],
    tlp: "AMBER",
    ...overrides,
  };
}
