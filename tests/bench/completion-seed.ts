/** The completion benchmarks' data (pnpm bench:completion, pnpm bench:rls), seeded in SQL. */

/** The five years of exercises the seed holds. */
export const YEARS = [2022, 2023, 2024, 2025, 2026];

/**
 * Six territories skewed to one; categories skewed to EHPAD, a third of the medico-social ones small
 * structures; 6 % joined during the five years (a random day), 3 % left (a random day). Each year an
 * establishment holds its own exercise with a probability rising from 45 % to 75 %, 4 % of exercises are
 * cancelled and 10 % of the rest still planned; held ones spread over the RETEX statuses with 0–5 actions.
 * Every year one GHT-pooled exercise per 200 establishments (five participants each) and a regional
 * exercise with 2,000 participants.
 */
export const COMPLETION_SEED = (n: number) => [
  "SET session_replication_role = replica",
  "SELECT setseed(0.2026)",
  `INSERT INTO territories (code, name) VALUES ('04', 'Alpes-de-Haute-Provence'), ('05', 'Hautes-Alpes'),
     ('06', 'Alpes-Maritimes'), ('13', 'Bouches-du-Rhône'), ('83', 'Var'), ('84', 'Vaucluse')`,
  `INSERT INTO establishments (id, finess, name, category, sector, territory, small_structure, contacts,
     active, active_from, active_until)
   SELECT gen_random_uuid(), lpad(k::text, 9, '0'), 'Établissement n° ' || k, category,
     CASE WHEN category IN ('ehpad', 'disability_adults', 'disability_children', 'home_care') THEN 'esms'
          WHEN category IN ('laboratory', 'radiology', 'other') THEN 'other' ELSE 'es' END,
     territory, category IN ('ehpad', 'home_care', 'disability_children') AND rs < 0.33,
     jsonb_build_object('rssi', jsonb_build_object('name', 'RSSI ' || k, 'email', 'rssi' || k || '@bench.test')),
     ra >= 0.03,
     CASE WHEN ra BETWEEN 0.10 AND 0.16 THEN DATE '2022-01-01' + floor(rd * 1800)::int END,
     CASE WHEN ra < 0.03 THEN DATE '2022-01-01' + floor(rd * 1800)::int END
   FROM (
     SELECT k, random() AS rs, random() AS ra, random() AS rd,
       CASE WHEN rt < 0.35 THEN '13' WHEN rt < 0.57 THEN '06' WHEN rt < 0.77 THEN '83' WHEN rt < 0.88 THEN '84'
            WHEN rt < 0.94 THEN '04' ELSE '05' END AS territory,
       CASE WHEN rc < 0.002 THEN 'chu' WHEN rc < 0.08 THEN 'ch' WHEN rc < 0.16 THEN 'private_clinic'
            WHEN rc < 0.19 THEN 'psychiatric' WHEN rc < 0.24 THEN 'smr' WHEN rc < 0.26 THEN 'had'
            WHEN rc < 0.28 THEN 'dialysis' WHEN rc < 0.63 THEN 'ehpad' WHEN rc < 0.73 THEN 'disability_adults'
            WHEN rc < 0.81 THEN 'disability_children' WHEN rc < 0.91 THEN 'home_care' WHEN rc < 0.95 THEN 'laboratory'
            WHEN rc < 0.98 THEN 'radiology' ELSE 'other' END AS category
     FROM (SELECT k, random() AS rt, random() AS rc FROM generate_series(1, ${n}) k) s
   ) s`,
  `CREATE UNLOGGED TABLE bench_plan AS
   SELECT gen_random_uuid() AS exercise_id, e.id AS establishment_id, y AS year,
     make_date(y, 1 + floor(random() * 12)::int, 1 + floor(random() * 28)::int) AS day,
     random() AS r_status, floor(random() * 6)::int AS actions, random() AS r_closed
   FROM establishments e CROSS JOIN generate_series(${YEARS[0]}, ${YEARS.at(-1)}) y
   WHERE random() < 0.45 + (y - ${YEARS[0]}) * 0.075`,
  `INSERT INTO exercises (id, kind, level, title, scenario, planned_on, held_on, organiser, status, cancel_reason)
   SELECT exercise_id, 'degraded_mode', 'beginner', 'Exercice ' || year, 'Panne du DPI', day,
     CASE WHEN r_status >= 0.14 THEN day END, 'Direction',
     CASE WHEN r_status < 0.04 THEN 'cancelled' WHEN r_status < 0.14 THEN 'planned' ELSE 'held' END,
     CASE WHEN r_status < 0.04 THEN 'Reporté' END
   FROM bench_plan`,
  `INSERT INTO exercise_participations (id, exercise_id, establishment_id, status, year, actions_total, actions_closed)
   SELECT gen_random_uuid(), exercise_id, establishment_id,
     CASE WHEN r_status < 0.04 THEN 'cancelled' WHEN r_status < 0.14 THEN 'planned' WHEN r_status < 0.35 THEN 'held'
          WHEN r_status < 0.55 THEN 'retex_submitted' WHEN r_status < 0.8 THEN 'validated' ELSE 'actions_closed' END,
     year,
     CASE WHEN r_status >= 0.35 THEN actions ELSE 0 END,
     CASE WHEN r_status >= 0.8 THEN actions WHEN r_status >= 0.35 THEN floor(actions * r_closed)::int ELSE 0 END
   FROM bench_plan`,
  // Pooled by a GHT (five participants) and the regional exercise (2,000), every year.
  `CREATE UNLOGGED TABLE bench_shared AS
   SELECT y AS year, g, gen_random_uuid() AS exercise_id
   FROM generate_series(${YEARS[0]}, ${YEARS.at(-1)}) y, generate_series(0, ${Math.floor(n / 200)}) g`,
  `INSERT INTO exercises (id, kind, level, title, scenario, planned_on, held_on, organiser, status)
   SELECT exercise_id, CASE WHEN g = 0 THEN 'regional' ELSE 'tabletop' END, 'intermediate', 'Exercice partagé',
     'Rançongiciel régional', make_date(year, 10, 15), make_date(year, 10, 15), 'ARS', 'held'
   FROM bench_shared`,
  `INSERT INTO exercise_participations (id, exercise_id, establishment_id, status, year)
   SELECT gen_random_uuid(), s.exercise_id, e.id, 'validated', s.year
   FROM bench_shared s
   CROSS JOIN LATERAL (
     SELECT id FROM establishments
     WHERE finess::bigint BETWEEN (CASE WHEN s.g = 0 THEN 1 ELSE s.g * 200 END)
       AND (CASE WHEN s.g = 0 THEN 2000 ELSE s.g * 200 + 4 END)
   ) e
   ON CONFLICT DO NOTHING`,
  "DROP TABLE bench_plan",
  "DROP TABLE bench_shared",
  "RESET session_replication_role",
  "VACUUM ANALYZE",
];
