import { mailIntake, type Tx } from "@pris/db";
import { formatInZone } from "@pris/domain";
import { and, eq } from "drizzle-orm";
import type { MailConfig } from "./incident-declared-mail.ts";
import { incidentNoticeView, loadIncidentForNotice } from "./notice-mail.ts";
import { poleContact, type RenderedMail, renderIntakeAcknowledged } from "./templates.ts";

/**
 * The French reply to a declaration received by e-mail: its reference, and the link where the
 * establishment completes what the form would have asked. Rendered from the incident as it is when sent.
 */
export async function renderIntakeAcknowledgedMail(
  db: Tx,
  config: MailConfig & { POLE_EMERGENCY_PHONE: string },
  incidentId: string,
): Promise<RenderedMail | undefined> {
  const incident = await loadIncidentForNotice(db, incidentId);
  if (!incident) return undefined;
  const [received] = await db
    .select({ messageId: mailIntake.messageId, receivedAt: mailIntake.receivedAt })
    .from(mailIntake)
    .where(and(eq(mailIntake.incidentId, incidentId), eq(mailIntake.outcome, "declared")))
    .limit(1);
  const mail = renderIntakeAcknowledged(
    {
      ...incidentNoticeView(incident, config),
      receivedAt: formatInZone(received?.receivedAt ?? new Date(), config.REGION_TIMEZONE),
    },
    poleContact(config),
  );
  // Threaded under the message it answers in the sender's mail client.
  return received && !received.messageId.endsWith("@intake.invalid>")
    ? { ...mail, headers: { "In-Reply-To": received.messageId, References: received.messageId } }
    : mail;
}
