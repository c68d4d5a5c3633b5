import { randomUUID } from "node:crypto";
import { loadConfig } from "@pris/config";
import Fastify from "fastify";
import pg from "pg";

/**
 * The bare baseline of the intake benchmark: one Fastify route doing one INSERT of the same
 * incident row through a pool of the same size as the API's. No auth, validation, idempotency,
 * transaction, log, clocks or outbox: what the real route is compared with.
 */
const config = loadConfig();
const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
const establishmentId = process.env.BENCH_ESTABLISHMENT_ID;
if (!establishmentId) throw new Error("BENCH_ESTABLISHMENT_ID is required");
const userId = process.env.BENCH_USER_ID;

const app = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES });
let sequence = 0;
app.post("/baseline/incidents", async (request, reply) => {
  const b = request.body as Record<string, unknown> & {
    personalData: { breach: unknown };
    support: { requested: unknown };
    nationalPortal: { declared: unknown };
  };
  const id = randomUUID();
  await pool.query(
    `INSERT INTO incidents (id, reference, establishment_id, status, severity, severity_suggested, severity_reasons, tlp,
       title, description, declarant, detected_at, ongoing, rsit_class, rsit_type, suspected_malicious, affected_services,
       impact_grade, spread, personal_data_breach, support_requested, national_portal_declared, complaint_filed,
       declared_by_user_id, declared_at)
     VALUES ($1, $2, $3, 'new', 'P3', 'P3', '[]', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, now())`,
    [
      id,
      `BASE-${process.pid}-${++sequence}`,
      establishmentId,
      b.tlp,
      b.title,
      b.description,
      b.declarant,
      b.detectedAt,
      b.ongoing,
      b.rsitClass,
      b.rsitType,
      b.suspectedMalicious,
      b.affectedServices,
      b.impactGrade,
      b.spread,
      b.personalData.breach,
      b.support.requested,
      b.nationalPortal.declared,
      b.complaintFiled,
      userId,
    ],
  );
  return reply.code(201).send({ id });
});

await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
process.on("SIGTERM", async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
