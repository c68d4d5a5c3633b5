import { type Config, mailDomain } from "@pris/config";
import type { bulletins } from "@pris/db";
import {
  BULLETIN_KIND_LABELS,
  BULLETIN_SEVERITY_LABELS,
  type BulletinKind,
  type BulletinSeverity,
  REMINDER_PURPOSE,
  TLP_COLORS,
  TLP_DESCRIPTIONS,
  type Tlp,
  tlpTag,
} from "@pris/domain";
import { signAckToken, signUnsubscribeToken } from "@pris/domain/ack-token";
import Handlebars from "handlebars";
import { type BulletinMailView, poleContact, type RenderedMail, renderBulletin } from "../mail/templates.ts";

export type BulletinForMail = typeof bulletins.$inferSelect & { changes: string };

export type BulletinMailConfig = Pick<
  Config,
  | "PUBLIC_URL"
  | "REGION_NAME"
  | "REGION_TIMEZONE"
  | "JWT_SECRET"
  | "BULLETIN_ACK_LINK_DAYS"
  | "POLE_EMERGENCY_PHONE"
  | "MAIL_FROM"
>;

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, "");

/**
 * Placeholders that HTML escaping leaves as they are, filled in per recipient. A bulletin whose own text held
 * one would show the recipient's name or link there, nothing worse.
 */
const NAME_SLOT = "%%pris-recipient-name%%";
const LINK_SLOT = "%%pris-ack-link%%";
const UNSUBSCRIBE_SLOT = "%%pris-unsubscribe-link%%";

/** How long a functional mailbox's unsubscribe link works: a bulletin may be read months later. */
const UNSUBSCRIBE_LINK_DAYS = 365;

export function bulletinLink(publicUrl: string, bulletinId: string): string {
  return `${base(publicUrl)}/bulletins/${bulletinId}`;
}

export function ackLink(publicUrl: string, token: string): string {
  return `${base(publicUrl)}/reponse/${token}`;
}

/** The one-click address (RFC 8058): a POST unsubscribes, a GET shows a page that asks first. */
export function unsubscribeLink(publicUrl: string, token: string): string {
  return `${base(publicUrl)}/desabonnement/${token}`;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
function dayInZone(at: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone });
    dayFormats.set(timeZone, format);
  }
  return format.format(at);
}

/**
 * The part of a bulletin's e-mail every recipient shares, computed once per batch: only the greeting and
 * the personal link differ. TLP:AMBER+STRICT content is e-mailed, to the named organisations it may reach
 * (the audience rule made sure of that); TLP:RED never gets here.
 */
export function bulletinMailer(bulletin: BulletinForMail, config: BulletinMailConfig, now = new Date()) {
  const tlp = bulletin.tlp as Tlp;
  const expiresAt = new Date(now.getTime() + config.BULLETIN_ACK_LINK_DAYS * 86_400_000);
  const shared: Omit<BulletinMailView, "recipientName" | "ackLink" | "reminder" | "unsubscribeLink"> = {
    tlpTag: tlpTag(tlp),
    tlpDescription: TLP_DESCRIPTIONS[tlp],
    tlpColor: TLP_COLORS[tlp],
    kindLabel: BULLETIN_KIND_LABELS[bulletin.kind as BulletinKind],
    reference: bulletin.reference ?? "",
    revision: bulletin.revision,
    revised: bulletin.revision > 1,
    changes: bulletin.changes,
    title: bulletin.title,
    severityLabel: BULLETIN_SEVERITY_LABELS[bulletin.severity as BulletinSeverity],
    summary: bulletin.summary,
    risks: bulletin.risks,
    affectedSystems: bulletin.affectedSystems,
    products: bulletin.products.map((p) =>
      [p.vendor, p.product, p.versions ? `(${p.versions})` : undefined].filter(Boolean).join(" "),
    ),
    recommendations: bulletin.recommendations,
    cves: bulletin.cves,
    observables: bulletin.observables.map((o) => `${o.type} : ${o.value}`),
    links: bulletin.links,
    expiresOn: dayInZone(expiresAt, config.REGION_TIMEZONE),
    link: bulletinLink(config.PUBLIC_URL, bulletin.id),
    regionName: config.REGION_NAME,
  };
  // The template is rendered once per kind of e-mail with placeholders for what is personal, which each
  // recipient's copy then fills in: a fan-out renders a handful of templates, not one per recipient.
  const frames = new Map<string, RenderedMail>();
  const listId = `Bulletins d'alerte PRIS <bulletins.${mailDomain(config)}>`;
  const unsubscribeUntil = new Date(now.getTime() + UNSUBSCRIBE_LINK_DAYS * 86_400_000);
  return (recipient: { id: string; name: string; role: string }, purpose: string): RenderedMail => {
    const reminder = purpose === REMINDER_PURPOSE;
    // Only a functional mailbox may unsubscribe: an RSSI or a deputy is who the alerts are for.
    const mailbox = recipient.role === "mailbox";
    const kind = `${reminder}/${mailbox}`;
    let frame = frames.get(kind);
    if (!frame) {
      frame = renderBulletin(
        {
          ...shared,
          reminder,
          recipientName: NAME_SLOT,
          ackLink: LINK_SLOT,
          unsubscribeLink: mailbox ? UNSUBSCRIBE_SLOT : null,
        },
        poleContact(config),
      );
      frames.set(kind, frame);
    }
    // A token is letters, digits, '.', '-' and '_': nothing to escape in HTML.
    const link = ackLink(config.PUBLIC_URL, signAckToken(config.JWT_SECRET, recipient.id, expiresAt));
    const unsubscribe = mailbox
      ? unsubscribeLink(
          config.PUBLIC_URL,
          signUnsubscribeToken(config.JWT_SECRET, recipient.id, unsubscribeUntil),
        )
      : "";
    const html = Handlebars.escapeExpression(recipient.name);
    const fill = (part: string, name: string) =>
      part
        .replaceAll(NAME_SLOT, () => name)
        .replaceAll(LINK_SLOT, () => link)
        .replaceAll(UNSUBSCRIBE_SLOT, () => unsubscribe);
    return {
      subject: frame.subject,
      text: fill(frame.text, recipient.name),
      html: fill(frame.html, html),
      headers: {
        "List-Id": listId,
        ...(mailbox
          ? {
              "List-Unsubscribe": `<${unsubscribe}>`,
              "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
          : {}),
      },
    };
  };
}
