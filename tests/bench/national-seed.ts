import { INCIDENT_TIMELINE } from "./queue-seed.ts";
/**
 * The national benchmark's data (pnpm bench:national), seeded in SQL: eighteen regions in one database,
 * the design docs/national.md chooses — the region as a column of every scoped table — with its indexes.
 *
 * The schema is the app's (migrated), plus what the design adds, in the benchmark's database only:
 * a `regions` table, a `region_id` column on establishments, incidents and exercise participations,
 * and the region-leading indexes of REGION_INDEXES. The app's own non-constraint indexes are dropped
 * before the load and rebuilt after it (three million rows go in without index maintenance).
 */

/** INSEE region code, reference prefix, name, time zone, population in millions (weights the data). */
export const REGIONS: [number, string, string, string, number, string[]][] = [
  [11, "IDF", "Île-de-France", "Europe/Paris", 12.3, ["75", "77", "78", "91", "92", "93", "94", "95"]],
  [24, "CVL", "Centre-Val de Loire", "Europe/Paris", 2.6, ["18", "28", "36", "37", "41", "45"]],
  [
    27,
    "BFC",
    "Bourgogne-Franche-Comté",
    "Europe/Paris",
    2.8,
    ["21", "25", "39", "58", "70", "71", "89", "90"],
  ],
  [28, "NOR", "Normandie", "Europe/Paris", 3.3, ["14", "27", "50", "61", "76"]],
  [32, "HDF", "Hauts-de-France", "Europe/Paris", 6.0, ["02", "59", "60", "62", "80"]],
  [44, "GES", "Grand Est", "Europe/Paris", 5.6, ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]],
  [52, "PDL", "Pays de la Loire", "Europe/Paris", 3.9, ["44", "49", "53", "72", "85"]],
  [53, "BRE", "Bretagne", "Europe/Paris", 3.4, ["22", "29", "35", "56"]],
  [
    75,
    "NAQ",
    "Nouvelle-Aquitaine",
    "Europe/Paris",
    6.0,
    ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"],
  ],
  [
    76,
    "OCC",
    "Occitanie",
    "Europe/Paris",
    6.0,
    ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"],
  ],
  [
    84,
    "ARA",
    "Auvergne-Rhône-Alpes",
    "Europe/Paris",
    8.1,
    ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"],
  ],
  [93, "PAC", "Provence-Alpes-Côte d'Azur", "Europe/Paris", 5.1, ["04", "05", "06", "13", "83", "84"]],
  [94, "COR", "Corse", "Europe/Paris", 0.35, ["2A", "2B"]],
  [1, "GLP", "Guadeloupe", "America/Guadeloupe", 0.38, ["971"]],
  [2, "MTQ", "Martinique", "America/Martinique", 0.35, ["972"]],
  [3, "GUF", "Guyane", "America/Cayenne", 0.29, ["973"]],
  [4, "REU", "La Réunion", "Indian/Reunion", 0.87, ["974"]],
  [6, "MYT", "Mayotte", "Indian/Mayotte", 0.32, ["976"]],
];

const OPEN = `status NOT IN ('closed', 'rejected', 'merged')`;
const DEADLINE = `COALESCE(next_deadline_at, 'infinity'::timestamptz)`;

/**
 * The design's indexes: the queue's partial indexes on open incidents with the region first, so that a
 * region's page, counts, RSIT and crisis-cell counts read that region's range only; the completion's
 * covering index with the region first. The app's own (unscoped) ones stay for the national view.
 */
export const REGION_INDEXES = [
  `CREATE INDEX incidents_region_queue_idx ON incidents (region_id, severity, ${DEADLINE}, id) WHERE ${OPEN}`,
  `CREATE INDEX incidents_region_counts_idx ON incidents (region_id, severity, status) WHERE ${OPEN}`,
  `CREATE INDEX incidents_region_assignee_idx ON incidents
     (region_id, assignee_user_id, severity, ${DEADLINE}, id, status) WHERE ${OPEN}`,
  `CREATE INDEX incidents_region_rsit_idx ON incidents (region_id, rsit_class, status) WHERE ${OPEN}`,
  `CREATE INDEX incidents_region_crisis_idx ON incidents (region_id, severity, status) WHERE crisis_cell AND ${OPEN}`,
  `CREATE INDEX exercise_participations_region_idx ON exercise_participations
     (region_id, establishment_id, year, status, actions_total, actions_closed)`,
  "CREATE INDEX establishments_region_idx ON establishments (region_id, territory, category)",
];

const TABLES = ["incidents", "incident_clocks", "establishments", "exercises", "exercise_participations"];

/**
 * Eighteen regions weighted by population, their 101 départements as territories; `establishments`
 * structures spread over them (categories as in bench:queue); `incidents` incidents with bench:queue's
 * distributions (status, severity, age, clocks, assignment; big establishments declare more), numbered
 * per region and year (IDF-2026-000123), assigned to one of their region's 25 analysts; five years of
 * exercises as in bench:completion, with a GHT-pooled exercise per 200 establishments and a regional
 * exercise per region and year (a tenth of its establishments).
 */
export const NATIONAL_SEED = (establishments: number, n: number) => [
  "SET session_replication_role = replica",
  "SET maintenance_work_mem = '256MB'",
  "SELECT setseed(0.2026)",
  // What the design adds to the schema.
  `CREATE TABLE regions (id smallint PRIMARY KEY, code text NOT NULL UNIQUE, name text NOT NULL,
     time_zone text NOT NULL, weight double precision NOT NULL, lo double precision, hi double precision)`,
  "ALTER TABLE establishments ADD COLUMN region_id smallint REFERENCES regions (id)",
  "ALTER TABLE incidents ADD COLUMN region_id smallint REFERENCES regions (id)",
  "ALTER TABLE exercise_participations ADD COLUMN region_id smallint REFERENCES regions (id)",
  `INSERT INTO regions (id, code, name, time_zone, weight) VALUES ${REGIONS.map(
    ([id, code, name, zone, weight]) =>
      `(${id}, '${code}', '${name.replace(/'/g, "''")}', '${zone}', ${weight})`,
  ).join(", ")}`,
  `UPDATE regions r SET lo = c.lo, hi = c.hi FROM (
     SELECT id, (sum(weight) OVER (ORDER BY id) - weight) / sum(weight) OVER () AS lo,
       sum(weight) OVER (ORDER BY id) / sum(weight) OVER () AS hi FROM regions) c WHERE c.id = r.id`,
  // The last one's upper bound past 1, whatever the rounding of the sums.
  "UPDATE regions SET hi = 2 WHERE id = (SELECT id FROM regions ORDER BY id DESC LIMIT 1)",
  `CREATE UNLOGGED TABLE bench_dept AS
   SELECT d.region_id, d.code, (row_number() OVER (PARTITION BY d.region_id ORDER BY d.code) - 1)::int AS idx,
     count(*) OVER (PARTITION BY d.region_id)::int AS size
   FROM (VALUES ${REGIONS.flatMap(([id, , , , , depts]) => depts.map((d) => `(${id}, '${d}')`)).join(", ")})
     AS d(region_id, code)`,
  "INSERT INTO territories (code, name) SELECT code, 'Département ' || code FROM bench_dept",
  // The app's indexes other than those behind a constraint, kept to be rebuilt after the load.
  `CREATE UNLOGGED TABLE bench_indexes AS
   SELECT i.indexname, i.indexdef FROM pg_indexes i
   WHERE i.schemaname = 'public' AND i.tablename IN (${TABLES.map((t) => `'${t}'`).join(", ")})
     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)`,
  `DO $$ DECLARE r record; BEGIN
     FOR r IN SELECT indexname FROM bench_indexes LOOP EXECUTE format('DROP INDEX %I', r.indexname); END LOOP;
   END $$`,
  `CREATE UNLOGGED TABLE bench_est AS
   SELECT s.k, gen_random_uuid() AS id, r.id AS region_id, d.code AS territory, s.category, s.rs, s.ra, s.rd
   FROM (
     SELECT k, random() AS rr, random() AS rt, random() AS rs, random() AS ra, random() AS rd,
       CASE WHEN rc < 0.002 THEN 'chu' WHEN rc < 0.08 THEN 'ch' WHEN rc < 0.16 THEN 'private_clinic'
            WHEN rc < 0.19 THEN 'psychiatric' WHEN rc < 0.24 THEN 'smr' WHEN rc < 0.26 THEN 'had'
            WHEN rc < 0.28 THEN 'dialysis' WHEN rc < 0.63 THEN 'ehpad' WHEN rc < 0.73 THEN 'disability_adults'
            WHEN rc < 0.81 THEN 'disability_children' WHEN rc < 0.91 THEN 'home_care' WHEN rc < 0.95 THEN 'laboratory'
            WHEN rc < 0.98 THEN 'radiology' ELSE 'other' END AS category
     FROM (SELECT k, random() AS rc FROM generate_series(1, ${establishments}) k) g
   ) s
   JOIN regions r ON s.rr >= r.lo AND s.rr < r.hi
   JOIN bench_dept d ON d.region_id = r.id AND d.idx = floor(s.rt * d.size)::int`,
  `INSERT INTO establishments (id, finess, name, category, sector, territory, nis2_status, small_structure,
     contacts, active, active_from, active_until, region_id)
   SELECT id, territory || lpad(k::text, 9 - length(territory), '0'),
     CASE category WHEN 'chu' THEN 'CHU' WHEN 'ch' THEN 'CH' WHEN 'private_clinic' THEN 'Clinique'
       WHEN 'psychiatric' THEN 'CHS' WHEN 'smr' THEN 'SMR' WHEN 'had' THEN 'HAD' WHEN 'dialysis' THEN 'Centre de dialyse'
       WHEN 'ehpad' THEN 'EHPAD' WHEN 'disability_adults' THEN 'MAS' WHEN 'disability_children' THEN 'IME'
       WHEN 'home_care' THEN 'SSIAD' WHEN 'laboratory' THEN 'Laboratoire' WHEN 'radiology' THEN 'Centre d''imagerie'
       ELSE 'Structure' END || ' n° ' || k,
     category,
     CASE WHEN category IN ('ehpad', 'disability_adults', 'disability_children', 'home_care') THEN 'esms'
          WHEN category IN ('laboratory', 'radiology', 'other') THEN 'other' ELSE 'es' END,
     territory,
     CASE WHEN category IN ('chu', 'ch') THEN 'essential' ELSE 'not_subject' END,
     category IN ('ehpad', 'home_care', 'disability_children') AND rs < 0.33,
     jsonb_build_object('rssi', jsonb_build_object('name', 'RSSI ' || k, 'email', 'rssi' || k || '@bench.test')),
     ra >= 0.03,
     CASE WHEN ra BETWEEN 0.10 AND 0.16 THEN DATE '2022-01-01' + floor(rd * 1800)::int END,
     CASE WHEN ra < 0.03 THEN DATE '2022-01-01' + floor(rd * 1800)::int END,
     region_id
   FROM bench_est`,
  `CREATE UNLOGGED TABLE bench_analyst AS
   SELECT r.id AS region_id, a AS n, gen_random_uuid() AS id, r.code
   FROM regions r, generate_series(1, 25) a`,
  `INSERT INTO users (id, email, display_name, role, password_hash)
   SELECT id, 'analyste-' || lower(code) || '-' || lpad(n::text, 2, '0') || '@pole.test',
     'Analyste ' || code || ' ' || n, 'analyst', '-'
   FROM bench_analyst`,
  `INSERT INTO users (id, email, display_name, role, password_hash, establishment_id)
   SELECT gen_random_uuid(), 'rssi@bench.test', 'RSSI du banc', 'rssi', '-', id FROM bench_est WHERE k = 1`,
  // bench:queue's incidents (see queue-seed.ts for the distributions), over the national registry.
  `CREATE UNLOGGED TABLE bench_draft AS
   WITH r AS (
     SELECT n, random() AS r_status, random() AS r_sev, random() AS r_est, random() AS r_age, random() AS r_title,
       random() AS r_assign, random() AS r_clock, random() AS r_done, random() AS r_misc, random() AS r_rsit
     FROM generate_series(1, ${n}) n
   ), s AS (
     SELECT r.*,
       CASE WHEN r_status < 0.68 THEN 'closed' WHEN r_status < 0.73 THEN 'rejected' WHEN r_status < 0.75 THEN 'merged'
            WHEN r_status < 0.78 THEN 'new' WHEN r_status < 0.82 THEN 'acknowledged'
            WHEN r_status < 0.89 THEN 'investigating' WHEN r_status < 0.92 THEN 'containment'
            WHEN r_status < 0.95 THEN 'recovery' WHEN r_status < 0.98 THEN 'monitoring'
            WHEN r_status < 0.995 THEN 'waiting_establishment' ELSE 'waiting_third_party' END AS status,
       CASE WHEN r_sev < 0.02 THEN 'P1' WHEN r_sev < 0.15 THEN 'P2' WHEN r_sev < 0.60 THEN 'P3' ELSE 'P4' END AS severity,
       1 + floor(${establishments} * r_est * r_est)::int AS est_k
     FROM r
   ), ${INCIDENT_TIMELINE}`,
  `INSERT INTO incidents (
     id, reference, establishment_id, status, severity, severity_suggested, severity_reasons, tlp, title, description,
     declarant, detected_at, ongoing, rsit_class, rsit_type, suspected_malicious, affected_services, impact_grade,
     spread, personal_data_breach, support_requested, national_portal_declared, complaint_filed, declared_by_user_id,
     declared_at, updated_at, assignee_user_id, crisis_cell, acknowledged_at, closed_at, ack_due_at, next_deadline_at,
     region_id)
   SELECT d.id,
     r.code || '-' || extract(year FROM d.declared_at) || '-' || lpad((row_number() OVER (
       PARTITION BY e.region_id, extract(year FROM d.declared_at) ORDER BY d.declared_at, d.n))::text, 6, '0'),
     e.id, d.status, d.severity, d.severity, '[]', CASE WHEN d.r_misc < 0.7 THEN 'AMBER' ELSE 'GREEN' END,
     (ARRAY['Rançongiciel sur le DPI', 'Hameçonnage ciblé de la direction', 'Messagerie compromise, envoi de spams',
       'PACS indisponible', 'Compte administrateur AD compromis', 'Fuite de données patients sur un forum',
       'Déni de service sur le portail patients', 'Accès VPN suspect depuis l''étranger',
       'Poste infecté aux urgences', 'Faux ordre de virement au fournisseur', 'Panne du réseau après une mise à jour',
       'Vol d''un ordinateur portable', 'Téléphonie IP hors service', 'Alerte EDR sur un serveur de laboratoire',
       'Usurpation de l''adresse du directeur', 'Site web défiguré', 'Clé USB infectée en pharmacie',
       'Logiciel de soins infirmiers inaccessible', 'Tentatives de connexion par force brute',
       'Prestataire d''infogérance compromis'])[1 + floor(d.r_title * d.r_title * 20)::int],
     'Incident généré pour le banc d''essai national.',
     '{"name": "Banc d''essai", "phone": "+33 4 00 00 00 00"}',
     d.detected_at, d.open AND d.r_misc < 0.5,
     (ARRAY['malicious-code', 'intrusions', 'fraud', 'availability', 'information-content-security',
       'intrusion-attempts', 'other'])[1 + floor(d.r_rsit * 7)::int],
     (ARRAY['infected-system', 'system-compromise', 'phishing', 'outage', 'data-leak', 'brute-force',
       'undetermined'])[1 + floor(d.r_rsit * 7)::int],
     'unknown', '{}', floor(d.r_misc * 4)::int, 'single_site',
     CASE WHEN d.breach THEN 'yes' ELSE 'unknown' END, d.r_misc < 0.3, NOT d.open, false,
     (SELECT id FROM users WHERE email = 'rssi@bench.test'),
     d.declared_at, d.declared_at,
     CASE WHEN d.status <> 'new' AND (NOT d.open OR d.r_assign < 0.7) THEN a.id END,
     d.severity = 'P1' AND d.status <> 'new', d.acknowledged_at,
     CASE WHEN NOT d.open THEN d.declared_at + interval '10 days' END,
     d.ack_due_at, d.next_deadline_at, e.region_id
   FROM bench_draft d
   JOIN bench_est e ON e.k = d.est_k
   JOIN regions r ON r.id = e.region_id
   JOIN bench_analyst a ON a.region_id = e.region_id AND a.n = 1 + floor(d.r_assign * 25)::int
   ORDER BY d.declared_at`,
  `INSERT INTO incident_clocks (id, incident_id, kind, starts_at, due_at, done_at)
   SELECT gen_random_uuid(), d.id, c.kind, d.detected_at, c.due,
     CASE WHEN NOT d.clock_pending THEN d.detected_at + interval '3 hours' END
   FROM bench_draft d
   CROSS JOIN LATERAL (VALUES ('national_portal', d.portal_due), ('gdpr_cnil', d.gdpr_due)) AS c(kind, due)
   WHERE d.has_clocks AND (c.kind = 'national_portal' OR d.breach)`,
  "DROP TABLE bench_draft",
  // bench:completion's exercises (see completion-seed.ts), over the national registry.
  `CREATE UNLOGGED TABLE bench_plan AS
   SELECT gen_random_uuid() AS exercise_id, e.id AS establishment_id, e.region_id, y AS year,
     make_date(y, 1 + floor(random() * 12)::int, 1 + floor(random() * 28)::int) AS day,
     random() AS r_status, floor(random() * 6)::int AS actions, random() AS r_closed
   FROM bench_est e CROSS JOIN generate_series(2022, 2026) y
   WHERE random() < 0.45 + (y - 2022) * 0.075`,
  `INSERT INTO exercises (id, kind, level, title, scenario, planned_on, held_on, organiser, status, cancel_reason)
   SELECT exercise_id, 'degraded_mode', 'beginner', 'Exercice ' || year, 'Panne du DPI', day,
     CASE WHEN r_status >= 0.14 THEN day END, 'Direction',
     CASE WHEN r_status < 0.04 THEN 'cancelled' WHEN r_status < 0.14 THEN 'planned' ELSE 'held' END,
     CASE WHEN r_status < 0.04 THEN 'Reporté' END
   FROM bench_plan`,
  `INSERT INTO exercise_participations (id, exercise_id, establishment_id, status, year, actions_total,
     actions_closed, region_id)
   SELECT gen_random_uuid(), exercise_id, establishment_id,
     CASE WHEN r_status < 0.04 THEN 'cancelled' WHEN r_status < 0.14 THEN 'planned' WHEN r_status < 0.35 THEN 'held'
          WHEN r_status < 0.55 THEN 'retex_submitted' WHEN r_status < 0.8 THEN 'validated' ELSE 'actions_closed' END,
     year,
     CASE WHEN r_status >= 0.35 THEN actions ELSE 0 END,
     CASE WHEN r_status >= 0.8 THEN actions WHEN r_status >= 0.35 THEN floor(actions * r_closed)::int ELSE 0 END,
     region_id
   FROM bench_plan`,
  // A GHT-pooled exercise per 200 establishments (five participants) and a regional one per region
  // (every tenth establishment of the region), every year.
  `CREATE UNLOGGED TABLE bench_shared AS
   SELECT y AS year, g, NULL::smallint AS region_id, gen_random_uuid() AS exercise_id
   FROM generate_series(2022, 2026) y, generate_series(1, ${Math.floor(establishments / 200)}) g
   UNION ALL
   SELECT y, 0, r.id, gen_random_uuid() FROM generate_series(2022, 2026) y, regions r`,
  `INSERT INTO exercises (id, kind, level, title, scenario, planned_on, held_on, organiser, status)
   SELECT exercise_id, CASE WHEN g = 0 THEN 'regional' ELSE 'tabletop' END, 'intermediate', 'Exercice partagé',
     'Rançongiciel régional', make_date(year, 10, 15), make_date(year, 10, 15), 'ARS', 'held'
   FROM bench_shared`,
  `INSERT INTO exercise_participations (id, exercise_id, establishment_id, status, year, region_id)
   SELECT gen_random_uuid(), s.exercise_id, e.id, 'validated', s.year, e.region_id
   FROM bench_shared s
   JOIN bench_est e ON (s.g > 0 AND e.k BETWEEN s.g * 200 AND s.g * 200 + 4)
     OR (s.g = 0 AND e.region_id = s.region_id AND e.k % 10 = 0)
   ON CONFLICT DO NOTHING`,
  "DROP TABLE bench_plan",
  "DROP TABLE bench_shared",
  "DROP TABLE bench_analyst",
  "DROP TABLE bench_est",
  "DROP TABLE bench_dept",
  "RESET session_replication_role",
];

/** The app's indexes back, then the design's. Timed apart from the load. */
export const NATIONAL_INDEXES = [
  "SET maintenance_work_mem = '256MB'",
  `DO $$ DECLARE r record; BEGIN
     FOR r IN SELECT indexdef FROM bench_indexes LOOP EXECUTE r.indexdef; END LOOP;
   END $$`,
  "DROP TABLE bench_indexes",
  ...REGION_INDEXES,
  "VACUUM ANALYZE",
];

/**
 * The other design, emulated in the same cluster for a fair comparison: one region's rows alone in a
 * schema of their own, with the app's indexes and none of the region's — what that region's own
 * database would hold. Statements run there unchanged, with search_path set to the schema.
 */
export function soloRegion(schema: string, regionId: number): string[] {
  const copy = (table: string, where: string) => [
    `CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    `INSERT INTO ${schema}.${table} SELECT * FROM public.${table} WHERE ${where}`,
  ];
  return [
    `CREATE SCHEMA ${schema}`,
    ...copy("territories", `code IN (SELECT territory FROM establishments WHERE region_id = ${regionId})`),
    ...copy("establishments", `region_id = ${regionId}`),
    ...copy("users", "true"),
    ...copy("incidents", `region_id = ${regionId}`),
    ...copy("incident_clocks", `incident_id IN (SELECT id FROM ${schema}.incidents)`),
    ...copy("exercise_participations", `region_id = ${regionId}`),
    // The app's indexes, constraint-backed or not, recreated on the copies (the region's excluded).
    `DO $$ DECLARE r record; BEGIN
       FOR r IN SELECT indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename IN ('territories', 'establishments', 'users', 'incidents',
           'incident_clocks', 'exercise_participations') AND indexdef NOT LIKE '%region_id%'
       LOOP
         EXECUTE regexp_replace(regexp_replace(r.indexdef, '^CREATE (UNIQUE )?INDEX \\S+ ', 'CREATE \\1INDEX '),
           ' ON public\\.', ' ON ${schema}.');
       END LOOP;
     END $$`,
    ...[
      "territories",
      "establishments",
      "users",
      "incidents",
      "incident_clocks",
      "exercise_participations",
    ].map((t) => `VACUUM ANALYZE ${schema}.${t}`),
  ];
}
