import { dayInZone } from "@pris/domain";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, launchChromium, listen, SCREENSHOT_DIR, WEB_DIST_DIR } from "../support/browser.ts";
import { bulletinDraft } from "../support/bulletin-fixtures.ts";
import {
  createApiKey,
  createEstablishment,
  createGht,
  createTerritory,
  createUser,
  declaration,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { crushedText, overflowOffenders, seriousViolations } from "../support/page-quality.ts";

/**
 * WCAG 1.4.10 (reflow) and axe-core on every page of every role: each role signs in with a region's
 * worth of real objects (an incident, a published bulletin and a draft, an exercise held with its
 * RETEX validated and shared), visits every page its menus lead to and the detail pages behind them, at
 * 320 px (the smallest phone), 360 px (a common one) and 1280 px (a laptop). A page fails when the
 * document is wider than the window (the report names the outermost elements that stick out), when a
 * text is squeezed until it wraps letter by letter, or when axe finds a serious or critical violation.
 * One browser, one context per role, pages in sequence; a table at the end.
 */

/** The smallest phone WCAG 1.4.10 names (320 CSS px), a common phone, a laptop. */
const WIDTHS = [320, 360, 1280] as const;
/** axe looks at the page once per layout: the two phone widths share theirs. */
const AXE_WIDTHS: ReadonlySet<number> = new Set([360, 1280]);

/**
 * Pages that still overflow, with why: the test fails for any other page that overflows, and for a
 * page of this list that no longer does (remove its line then).
 */
const KNOWN_OVERFLOW: Record<string, string> = {};

interface Visit {
  role: string;
  page: string;
  width: number;
  overflow: number;
  offenders: string[];
  crushed: string[];
  axe: string[];
  error: string | null;
  /** How long the page took to load (at the first width), settle and be measured. */
  ms: number;
}

async function signIn(page: Page, baseUrl: string, email: string) {
  await page.goto(`${baseUrl}/connexion`);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
}

/** The page has drawn what it loads: a level-1 heading, no "Chargement…" left. */
async function settled(page: Page): Promise<string | null> {
  const heading = await page
    .locator("h1:not(.fr-modal__title)")
    .first()
    .waitFor({ timeout: 8_000 })
    .then(
      () => null,
      () => `no level-1 heading on ${new URL(page.url()).pathname}`,
    );
  await page
    .waitForFunction(() => !(document.body.textContent ?? "").includes("Chargement…"), undefined, {
      timeout: 10_000,
    })
    .catch(() => {});
  await page.waitForTimeout(150);
  return heading;
}

describe("every page at 320, 360 and 1280 px: no horizontal overflow, no text crushed, no serious axe violation", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const visits: Visit[] = [];
  const ids = {
    incident: "",
    bulletin: "",
    draft: "",
    exercise: "",
    participation: "",
  };
  const emails: Record<string, string> = {};

  async function call(
    method: "POST" | "PUT",
    url: string,
    headers: Record<string, string>,
    payload?: object,
  ) {
    const res = await t.app.inject({ method, url, headers, payload });
    expect([200, 201], `${url} ${res.body}`).toContain(res.statusCode);
    return res.json();
  }

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
    const year = Number(dayInZone(new Date(), t.config.REGION_TIMEZONE).slice(0, 4));

    await createTerritory(t.db, "nord", "Nord");
    const ght = await createGht(t.db, "GHT Réunion Nord");
    const ch = await createEstablishment(t.db, {
      name: "Centre hospitalier universitaire Félix Guyon — site de Bellepierre",
      territory: "nord",
      category: "ch",
      ghtId: ght.id,
    });
    const ehpad = await createEstablishment(t.db, {
      name: "EHPAD Les Filaos",
      territory: "nord",
      category: "ehpad",
      ghtId: ght.id,
    });
    const users = {
      rssi: await createUser(t.db, { role: "rssi", establishmentId: ehpad.id, name: "Denise Grondin" }),
      "rssi-ght": await createUser(t.db, {
        role: "rssi",
        establishmentId: ch.id,
        ghtId: ght.id,
        name: "Jean-Marc Hoarau",
      }),
      analyst: await createUser(t.db, { role: "analyst", name: "Sophie Técher" }),
      taskforce: await createUser(t.db, { role: "taskforce", name: "Paul Rivière" }),
      ars: await createUser(t.db, { role: "ars", name: "Marie Payet" }),
      admin: await createUser(t.db, { role: "admin", name: "Admin Région" }),
    };
    for (const [role, u] of Object.entries(users)) emails[role] = u.email;

    // A major incident of the EHPAD (P1: the task force and the ARS read it too), declared by its SIEM.
    const key = await createApiKey(t.db, ehpad.id);
    const declared = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: { authorization: `ApiKey ${key.key}` },
      payload: declaration({
        title: "Rançongiciel sur le serveur de soins de l'EHPAD Les Filaos",
        impactGrade: 4,
      }),
    });
    expect(declared.statusCode, declared.body).toBe(201);
    expect(declared.json().severity).toBe("P1");
    ids.incident = declared.json().id;

    // A bulletin published to the territory, and a draft.
    const analyst = (await login(t.app, users.analyst.email)).bearer;
    const published = await call("POST", "/api/v1/bulletins", analyst, bulletinDraft());
    await call("POST", `/api/v1/bulletins/${published.id}/publish`, analyst);
    ids.bulletin = published.id;
    ids.draft = (await call("POST", "/api/v1/bulletins", analyst, bulletinDraft({ title: "Brouillon" }))).id;

    // An exercise held by the EHPAD, its RETEX validated by the ARS and shared.
    const rssi = (await login(t.app, users.rssi.email)).bearer;
    const ars = (await login(t.app, users.ars.email)).bearer;
    const heldOn = `${year}-01-15`;
    const exercise = await call("POST", "/api/v1/exercises", rssi, {
      kind: "degraded_mode",
      level: "beginner",
      title: "Panne du dossier de soins informatisé",
      scenario: "Le dossier de soins est indisponible pendant six heures, un week-end.",
      objectives: [],
      plannedOn: heldOn,
      participants: "",
      organiser: "Direction",
      establishmentIds: [ehpad.id],
    });
    ids.exercise = exercise.id;
    ids.participation = exercise.participations[0].id;
    const p = ids.participation;
    await call("POST", `/api/v1/exercises/${exercise.id}/hold`, rssi, { heldOn });
    await call("PUT", `/api/v1/participations/${p}/retex`, rssi, {
      hotSummary: "Procédures papier retrouvées.",
    });
    await call("POST", `/api/v1/participations/${p}/findings`, rssi, {
      phase: "hot",
      theme: "technical",
      polarity: "negative",
      text: "Les sauvegardes hors ligne n'avaient jamais été restaurées.",
    });
    await call("POST", `/api/v1/participations/${p}/submit`, rssi);
    await call("POST", `/api/v1/participations/${p}/validate`, ars);
    await call("PUT", `/api/v1/participations/${p}/share`, rssi, { shared: true, tlp: "GREEN", named: true });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  const account = ["/securite", "/mon-compte/mot-de-passe", "/mon-compte/sessions"];
  const exercisePages = () => [
    "/exercices",
    `/exercices/${ids.exercise}`,
    `/exercices/participations/${ids.participation}`,
    "/retex",
  ];
  /** Beyond the menus: the detail pages each role reaches from its lists. */
  const pagesOf: Record<string, () => string[]> = {
    rssi: () => [
      "/declarer",
      "/incidents",
      `/incidents/${ids.incident}`,
      `/incidents/${ids.incident}/confirmation`,
      ...exercisePages(),
      "/bulletins",
      `/bulletins/${ids.bulletin}`,
      "/mon-etablissement",
      ...account,
    ],
    "rssi-ght": () => [
      "/incidents",
      "/exercices",
      "/bulletins",
      `/bulletins/${ids.bulletin}`,
      "/mon-etablissement",
      "/administration/invitations",
    ],
    analyst: () => [
      "/file",
      "/declarer",
      "/incidents",
      `/incidents/${ids.incident}`,
      "/bulletins",
      "/bulletins/nouveau",
      `/bulletins/${ids.bulletin}`,
      `/bulletins/${ids.bulletin}/reviser`,
      `/bulletins/${ids.draft}`,
      `/bulletins/${ids.draft}/modifier`,
      "/statistiques",
      ...exercisePages(),
      "/administration/astreinte",
      "/administration/invitations",
      ...account,
    ],
    taskforce: () => ["/file", `/incidents/${ids.incident}`, "/bulletins", `/bulletins/${ids.bulletin}`],
    ars: () => [
      "/statistiques",
      "/incidents",
      `/incidents/${ids.incident}`,
      "/exercices/tableau-de-bord",
      ...exercisePages(),
      "/bulletins",
      `/bulletins/${ids.bulletin}`,
      "/traces-acces",
      ...account,
    ],
    admin: () => [
      "/traces-acces",
      "/administration/premiers-pas",
      "/administration/territoires",
      "/administration/ght",
      "/administration/etablissements",
      "/administration/utilisateurs",
      "/administration/double-authentification",
      "/administration/journal",
      "/administration/import-finess",
      "/administration/astreinte",
      "/administration/invitations",
      ...account,
    ],
  };

  /** A path with its ids named, as the report and the known list write it. */
  const pattern = (path: string) =>
    path
      .replace(ids.incident, ":incident")
      .replace(ids.bulletin, ":bulletin")
      .replace(ids.draft, ":draft")
      .replace(ids.participation, ":participation")
      .replace(ids.exercise, ":exercise");

  async function check(role: string, page: Page, path: string) {
    for (const width of WIDTHS) {
      const started = performance.now();
      await page.setViewportSize({ width, height: width < 800 ? 740 : 900 });
      if (width === WIDTHS[0]) await page.goto(`${baseUrl}${path}`);
      const error = await settled(page);
      // DSFR re-aligns its menus on resize from a handler of its own: an overflow must last to count.
      let { overflow, offenders } = await overflowOffenders(page);
      for (let retry = 0; overflow > 0 && retry < 5; retry++) {
        await page.waitForTimeout(300);
        ({ overflow, offenders } = await overflowOffenders(page));
      }
      const crushed = await crushedText(page);
      const axe = AXE_WIDTHS.has(width) ? await seriousViolations(page) : [];
      const ms = Math.round(performance.now() - started);
      visits.push({ role, page: pattern(path), width, overflow, offenders, crushed, axe, error, ms });
      if (process.env.REFLOW_SCREENSHOTS) {
        const name = `${role}${pattern(path).replace(/[/:]+/g, "-")}-${width}`;
        await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-reflow-${name}.png`, fullPage: true });
      }
    }
  }

  /** The menus' links (the header's navigation and quick access), so that a new page is visited too. */
  async function menuLinks(page: Page): Promise<string[]> {
    await page.setViewportSize({ width: 1280, height: 900 });
    await settled(page);
    const hrefs = await page
      .locator("header a[href^='/']")
      .evaluateAll((as) => as.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
    // The queue board is bull-board's own page for operators, not the app's (tests/e2e/queue-board.test.ts).
    return hrefs.filter((h) => h !== "/" && !h.startsWith("/administration/files-attente"));
  }

  it("sees what it looks for: a table crushed into a phone, a block wider than it, a text hidden for screen readers", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    contexts.push(context);
    const page = await context.newPage();
    const cells = (n: number) =>
      Array.from({ length: n }, () => '<td style="padding: 0 12px">Établissement destinataire</td>').join("");
    await page.setContent(`<main>
      <table style="width: 100%; table-layout: fixed; word-break: break-all; border-spacing: 0"><tr>${cells(7)}</tr></table>
      <p style="position: absolute; width: 1px; height: 1px; overflow: hidden">Lu par les lecteurs d'écran</p>
      <div style="width: 500px">Prochaine échéance</div>
    </main>`);
    expect((await crushedText(page)).join("\n")).toMatch(/^td "Établissement destinataire" on \d+ lines/);
    expect(await crushedText(page)).toHaveLength(5);
    const { overflow, offenders } = await overflowOffenders(page);
    expect(overflow).toBeGreaterThan(100);
    expect(offenders).toEqual([expect.stringContaining('div [8→508 px] "Prochaine échéance"')]);
    await page.setContent("<main><p>Prochaine échéance</p></main>");
    expect(await crushedText(page)).toEqual([]);
  });

  /** REFLOW_ROLES=rssi,ars narrows a run while fixing a page. */
  const only = process.env.REFLOW_ROLES?.split(",");

  it("visits the pages anyone reaches, signed out", async () => {
    const context = await browser.newContext({ locale: "fr-FR", timezoneId: "Europe/Paris" });
    contexts.push(context);
    const page = await context.newPage();
    for (const path of ["/connexion", "/mot-de-passe-oublie"]) await check("public", page, path);
  });

  for (const role of Object.keys(pagesOf).filter((r) => !only || only.includes(r))) {
    it(`visits the pages of ${role}`, async () => {
      const context = await browser.newContext({ locale: "fr-FR", timezoneId: "Europe/Paris" });
      contexts.push(context);
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      await signIn(page, baseUrl, emails[role]!);
      const pages = [...new Set([...pagesOf[role]!(), ...(await menuLinks(page))])];
      for (const path of pages) await check(role, page, path);
    }, 300_000);
  }

  it("finds no page too wide, no text crushed, no serious axe violation", () => {
    const rows = visits.map(
      (v) =>
        `${v.role.padEnd(9)} ${v.page.padEnd(44)} ${String(v.width).padStart(4)}  ${(v.overflow > 0 ? `+${v.overflow} px` : "ok").padEnd(9)} ${(v.crushed.length > 0 ? "crushed" : "ok").padEnd(8)} ${(!AXE_WIDTHS.has(v.width) ? "-" : v.axe.length === 0 ? "ok" : `${v.axe.length} serious/critical`).padEnd(18)} ${String(v.ms).padStart(5)} ms`,
    );
    console.log(
      `role      page                                         width overflow  text     axe                 time\n${rows.join("\n")}`,
    );

    const failures: string[] = [];
    const stillKnown = new Set<string>();
    for (const v of visits) {
      const key = `${v.page} @${v.width}`;
      if (v.overflow > 0) {
        if (KNOWN_OVERFLOW[key]) stillKnown.add(key);
        else
          failures.push(
            `${v.role} ${key}: the page is ${v.overflow} px wider than the window\n      ${v.offenders.join("\n      ")}`,
          );
      }
      if (v.crushed.length > 0)
        failures.push(`${v.role} ${key}: text wraps letter by letter\n      ${v.crushed.join("\n      ")}`);
      if (v.error) failures.push(`${v.role} ${key}: ${v.error}`);
      for (const a of v.axe) failures.push(`${v.role} ${key}: axe ${a}`);
    }
    for (const key of only ? [] : Object.keys(KNOWN_OVERFLOW)) {
      if (!stillKnown.has(key)) failures.push(`${key} no longer overflows: remove it from KNOWN_OVERFLOW`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
  });
});
