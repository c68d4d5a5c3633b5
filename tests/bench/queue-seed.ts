/** The queue benchmarks' data (pnpm bench:queue, pnpm bench:rls), seeded in SQL. */

/**
 * The region (PACA's six départements) and its data, in SQL: territories skewed to the Bouches-du-Rhône,
 * categories to EHPAD; big establishments declare more (index ~ r²). Incidents: 25 % open (new 3 %,
 * acknowledged 4 %, investigating 7 %, containment, recovery and monitoring 3 % each, waiting 2 %),
 * the rest closed, rejected or merged over six years; severities P1 2 %, P2 13 %, P3 45 %, P4 40 %;
 * open ones declared over the last 180 days (recent-heavy), new ones within about their service
 * level (~9 % of them late); clocks for every open incident and a fifth of the others (national
 * portal; CNIL when personal data was breached, 12 %), not done for the recent ones and for 1 % of the
 * rest; 70 % of the open worked ones assigned to one of 25 analysts; next_deadline_at as the domain
 * computes it (acknowledgement due until acknowledged, every clock not done).
 */
/**
 * From the random draws of a CTE `s` (status, severity, r_age, r_done, r_clock, r_misc, n…): the incident's
 * timeline — declared, detected, acknowledged, its deadlines — as a time-ordered UUIDv7 id. Shared by the
 * national seed.
 */
export const INCIDENT_TIMELINE = `t AS (
     SELECT s.*,
       CASE severity WHEN 'P1' THEN 15 WHEN 'P2' THEN 60 WHEN 'P3' THEN 240 ELSE 1440 END AS sla
     FROM s
   ), u AS (
     SELECT t.*,
       now() - CASE WHEN status = 'new' THEN r_age * r_age * sla * 1.2 * interval '1 minute'
                    WHEN status IN ('closed', 'rejected', 'merged') THEN r_age * interval '6 years'
                    ELSE r_age * r_age * interval '180 days' END AS declared_at,
       status NOT IN ('closed', 'rejected', 'merged') AS open
     FROM t
   ), v AS (
     SELECT u.*,
       declared_at - r_misc * interval '6 hours' AS detected_at,
       declared_at + sla * interval '1 minute' AS ack_due_at,
       CASE WHEN status <> 'new' THEN declared_at + r_done * sla * interval '1 minute' END AS acknowledged_at,
       (open OR r_clock < 0.2) AS has_clocks,
       r_misc < 0.12 AS breach,
       open AND ((now() - declared_at < interval '2 days' AND r_done < 0.6) OR r_done < 0.01) AS clock_pending
     FROM u
   )
   SELECT v.*,
     (lpad(to_hex((extract(epoch FROM declared_at) * 1000)::bigint), 12, '0') || '7'
       || substr(md5(n::text), 1, 3) || '8' || substr(md5(n::text), 4, 15))::uuid AS id,
     detected_at + interval '24 hours' AS portal_due,
     detected_at + interval '72 hours' AS gdpr_due,
     CASE WHEN open THEN LEAST(
       CASE WHEN acknowledged_at IS NULL THEN ack_due_at END,
       CASE WHEN has_clocks AND clock_pending THEN detected_at + interval '24 hours' END,
       CASE WHEN has_clocks AND clock_pending AND breach THEN detected_at + interval '72 hours' END) END
       AS next_deadline_at
   FROM v`;

export const QUEUE_SEED = (n: number) => [
  "SET session_replication_role = replica",
  "SELECT setseed(0.2026)",
  `INSERT INTO territories (code, name) VALUES ('04', 'Alpes-de-Haute-Provence'), ('05', 'Hautes-Alpes'),
     ('06', 'Alpes-Maritimes'), ('13', 'Bouches-du-Rhône'), ('83', 'Var'), ('84', 'Vaucluse')`,
  `CREATE UNLOGGED TABLE bench_est AS
   SELECT k, gen_random_uuid() AS id,
     CASE WHEN rt < 0.35 THEN '13' WHEN rt < 0.57 THEN '06' WHEN rt < 0.77 THEN '83' WHEN rt < 0.88 THEN '84'
          WHEN rt < 0.94 THEN '04' ELSE '05' END AS territory,
     CASE WHEN rc < 0.002 THEN 'chu' WHEN rc < 0.08 THEN 'ch' WHEN rc < 0.16 THEN 'private_clinic'
          WHEN rc < 0.19 THEN 'psychiatric' WHEN rc < 0.24 THEN 'smr' WHEN rc < 0.26 THEN 'had'
          WHEN rc < 0.28 THEN 'dialysis' WHEN rc < 0.63 THEN 'ehpad' WHEN rc < 0.73 THEN 'disability_adults'
          WHEN rc < 0.81 THEN 'disability_children' WHEN rc < 0.91 THEN 'home_care' WHEN rc < 0.95 THEN 'laboratory'
          WHEN rc < 0.98 THEN 'radiology' ELSE 'other' END AS category
   FROM (SELECT k, random() AS rt, random() AS rc FROM generate_series(1, 2000) k) s`,
  `INSERT INTO establishments (id, finess, name, category, sector, territory, nis2_status)
   SELECT id, territory || lpad(k::text, 7, '0'),
     CASE category WHEN 'chu' THEN 'CHU' WHEN 'ch' THEN 'CH' WHEN 'private_clinic' THEN 'Clinique'
       WHEN 'psychiatric' THEN 'CHS' WHEN 'smr' THEN 'SMR' WHEN 'had' THEN 'HAD' WHEN 'dialysis' THEN 'Centre de dialyse'
       WHEN 'ehpad' THEN 'EHPAD' WHEN 'disability_adults' THEN 'MAS' WHEN 'disability_children' THEN 'IME'
       WHEN 'home_care' THEN 'SSIAD' WHEN 'laboratory' THEN 'Laboratoire' WHEN 'radiology' THEN 'Centre d''imagerie'
       ELSE 'Structure' END || ' n° ' || k,
     category,
     CASE WHEN category IN ('ehpad', 'disability_adults', 'disability_children', 'home_care') THEN 'esms'
          WHEN category IN ('laboratory', 'radiology', 'other') THEN 'other' ELSE 'es' END,
     territory,
     CASE WHEN category IN ('chu', 'ch') THEN 'essential' ELSE 'not_subject' END
   FROM bench_est`,
  `INSERT INTO users (id, email, display_name, role, password_hash)
   SELECT gen_random_uuid(), 'analyste' || lpad(k::text, 2, '0') || '@pole.test', 'Analyste ' || k, 'analyst', '-'
   FROM generate_series(1, 25) k`,
  `INSERT INTO users (id, email, display_name, role, password_hash, establishment_id)
   SELECT gen_random_uuid(), 'rssi@bench.test', 'RSSI du banc', 'rssi', '-', id FROM bench_est WHERE k = 1`,
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
       1 + floor(2000 * r_est * r_est)::int AS est_k
     FROM r
   ), ${INCIDENT_TIMELINE}`,
  `INSERT INTO incidents (
     id, reference, establishment_id, status, severity, severity_suggested, severity_reasons, tlp, title, description,
     declarant, detected_at, ongoing, rsit_class, rsit_type, suspected_malicious, affected_services, impact_grade,
     spread, personal_data_breach, support_requested, national_portal_declared, complaint_filed, declared_by_user_id,
     declared_at, updated_at, assignee_user_id, crisis_cell, acknowledged_at, closed_at, ack_due_at, next_deadline_at)
   SELECT d.id,
     'PAC-' || extract(year FROM d.declared_at) || '-' || lpad((row_number() OVER (
       PARTITION BY extract(year FROM d.declared_at) ORDER BY d.declared_at, d.n))::text, 6, '0'),
     e.id, d.status, d.severity, d.severity, '[]', CASE WHEN d.r_misc < 0.7 THEN 'AMBER' ELSE 'GREEN' END,
     (ARRAY['Rançongiciel sur le DPI', 'Hameçonnage ciblé de la direction', 'Messagerie compromise, envoi de spams',
       'PACS indisponible', 'Compte administrateur AD compromis', 'Fuite de données patients sur un forum',
       'Déni de service sur le portail patients', 'Accès VPN suspect depuis l''étranger',
       'Poste infecté aux urgences', 'Faux ordre de virement au fournisseur', 'Panne du réseau après une mise à jour',
       'Vol d''un ordinateur portable', 'Téléphonie IP hors service', 'Alerte EDR sur un serveur de laboratoire',
       'Usurpation de l''adresse du directeur', 'Site web défiguré', 'Clé USB infectée en pharmacie',
       'Logiciel de soins infirmiers inaccessible', 'Tentatives de connexion par force brute',
       'Prestataire d''infogérance compromis'])[1 + floor(d.r_title * d.r_title * 20)::int],
     'Incident généré pour le banc d''essai de la file.',
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
     CASE WHEN d.status <> 'new' AND (NOT d.open OR d.r_assign < 0.7) THEN
       (SELECT array_agg(id ORDER BY email) FROM users WHERE email LIKE 'analyste%@pole.test')[1 + floor(d.r_assign * 25)::int]
     END,
     d.severity = 'P1' AND d.status <> 'new', d.acknowledged_at,
     CASE WHEN NOT d.open THEN d.declared_at + interval '10 days' END,
     d.ack_due_at, d.next_deadline_at
   FROM bench_draft d JOIN bench_est e ON e.k = d.est_k
   ORDER BY d.declared_at`,
  `INSERT INTO incident_clocks (id, incident_id, kind, starts_at, due_at, done_at)
   SELECT gen_random_uuid(), d.id, c.kind, d.detected_at, c.due,
     CASE WHEN NOT d.clock_pending THEN d.detected_at + interval '3 hours' END
   FROM bench_draft d
   CROSS JOIN LATERAL (VALUES ('national_portal', d.portal_due), ('gdpr_cnil', d.gdpr_due)) AS c(kind, due)
   WHERE d.has_clocks AND (c.kind = 'national_portal' OR d.breach)`,
  "DROP TABLE bench_draft",
  "DROP TABLE bench_est",
  "RESET session_replication_role",
  "VACUUM ANALYZE",
];
