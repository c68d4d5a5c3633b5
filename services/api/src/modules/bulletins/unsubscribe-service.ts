import type { Config } from "@pris/config";
import {
  type AuditActor,
  bulletinDeliveries,
  bulletinRecipients,
  type Db,
  establishments,
  writeAudit,
  writeOutbox,
} from "@pris/db";
import { verifyUnsubscribeToken } from "@pris/domain/ack-token";
import { and, eq, inArray, sql } from "drizzle-orm";
import { checkUnderAnySecret } from "../../auth/tokens.ts";
import { ExpiredLinkError, InvalidLinkError } from "./ack-service.ts";

export interface UnsubscribeState {
  mailbox: string;
  establishmentName: string;
  /** Whether the address is still the establishment's functional mailbox (false once unsubscribed). */
  subscribed: boolean;
}

/** The functional mailbox a genuine, unexpired link was sent to; people's links do not exist. */
function recipientOf(config: Config, token: string): string {
  const check = checkUnderAnySecret(config, (secret) => verifyUnsubscribeToken(secret, token));
  if (!check.ok) throw check.reason === "expired" ? new ExpiredLinkError() : new InvalidLinkError();
  return check.recipientId;
}

const isMailbox = (contacts: { functionalMailbox?: string }, email: string) =>
  contacts.functionalMailbox?.toLowerCase() === email;

/** Reading the link changes nothing: mail scanners open links. */
export async function unsubscribeState(db: Db, config: Config, token: string): Promise<UnsubscribeState> {
  const recipientId = recipientOf(config, token);
  const [row] = await db
    .select({ email: bulletinRecipients.email, role: bulletinRecipients.role, establishment: establishments })
    .from(bulletinRecipients)
    .innerJoin(establishments, eq(establishments.id, bulletinRecipients.establishmentId))
    .where(eq(bulletinRecipients.id, recipientId));
  if (row?.role !== "mailbox") throw new InvalidLinkError();
  return {
    mailbox: row.email,
    establishmentName: row.establishment.name,
    subscribed: isMailbox(row.establishment.contacts, row.email),
  };
}

/**
 * A functional mailbox unsubscribes (RFC 8058 one-click, or the page's button): the address leaves the
 * establishment's contacts, which is where bulletins find it — later bulletins, revisions and reminders
 * no longer go to it — and what it was still owed is dropped. The change is in the administration trail
 * like any edit of the contacts, and the establishment's RSSIs are e-mailed (through the outbox) so that
 * an unwanted unsubscription (an anti-spam robot following links) is noticed and undone on the
 * establishment's page. Idempotent: a second click changes nothing and tells nobody again.
 */
export async function unsubscribeMailbox(
  db: Db,
  config: Config,
  token: string,
  actor: AuditActor,
): Promise<UnsubscribeState> {
  const recipientId = recipientOf(config, token);
  return db.transaction(async (tx) => {
    const [recipient] = await tx
      .select()
      .from(bulletinRecipients)
      .where(eq(bulletinRecipients.id, recipientId));
    if (recipient?.role !== "mailbox") throw new InvalidLinkError();
    const [establishment] = await tx
      .select()
      .from(establishments)
      .where(eq(establishments.id, recipient.establishmentId))
      .for("update");
    if (!establishment) throw new InvalidLinkError();
    const state = { mailbox: recipient.email, establishmentName: establishment.name, subscribed: false };
    if (!isMailbox(establishment.contacts, recipient.email)) return state;

    const { functionalMailbox: _gone, ...contacts } = establishment.contacts;
    await tx
      .update(establishments)
      .set({ contacts, updatedAt: new Date() })
      .where(eq(establishments.id, establishment.id));
    await writeAudit(tx, actor, {
      action: "establishment.contacts",
      objectKind: "establishment",
      objectId: establishment.id,
      objectLabel: establishment.name,
      before: { contacts: establishment.contacts },
      after: { contacts },
    });
    // What the address was still owed, whatever the bulletin: it asked for no more.
    const owed = tx
      .select({ id: bulletinRecipients.id })
      .from(bulletinRecipients)
      .where(
        and(
          eq(bulletinRecipients.establishmentId, establishment.id),
          eq(bulletinRecipients.email, recipient.email),
          eq(bulletinRecipients.role, "mailbox"),
        ),
      );
    await tx
      .update(bulletinDeliveries)
      .set({ status: "superseded", lastError: "functional mailbox unsubscribed", updatedAt: sql`now()` })
      .where(
        and(
          inArray(bulletinDeliveries.recipientId, owed),
          inArray(bulletinDeliveries.status, ["queued", "deferred"]),
        ),
      );
    await writeOutbox(tx, {
      topic: "bulletin.mailbox_unsubscribed",
      aggregateId: recipient.id,
      payload: { establishmentId: establishment.id },
    });
    return state;
  });
}
