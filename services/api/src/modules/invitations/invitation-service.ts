import type { Config } from "@pris/config";
import {
  type AuditActor,
  bulkInvitationCandidates,
  type Db,
  establishments,
  findInvitation,
  ghts,
  type InvitationRow,
  type InvitationScope,
  invitations,
  listInvitations,
  outbox,
  outboxValues,
  type Tx,
  users,
  writeAudit,
  writeOutbox,
} from "@pris/db";
import {
  type FieldError,
  type Invitation,
  type InvitationCreate,
  type InvitationStatus,
  invitableRoles,
  invitationStatus,
  type Role,
} from "@pris/domain";
import { eq, sql } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";

type User = Extract<Principal, { kind: "user" }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Who may invite, decided once: an administrator invites anyone; an analyst of the pole invites the
 * network's RSSIs (the pole onboards the establishments it works with); an RSSI attached to a GHT
 * invites RSSIs for the GHT's members. An RSSI of one establishment, the task force and the ARS do not
 * invite: they are told so (403), since the refusal is about their role, not about an object's scope.
 */
export function invitationScope(user: User): InvitationScope {
  if (user.role === "admin") return { kind: "all" };
  if (user.role === "analyst") return { kind: "rssi" };
  if (user.role === "rssi" && user.ghtId) return { kind: "ght", ghtId: user.ghtId };
  throw new ForbiddenError("Only an administrator, an analyst or the RSSI of a GHT may invite");
}

export function toInvitationView(row: InvitationRow, now = new Date()): Invitation {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role as Role,
    establishment:
      row.establishmentId && row.establishmentName && row.establishmentFiness
        ? { id: row.establishmentId, finess: row.establishmentFiness, name: row.establishmentName }
        : null,
    ght: row.ghtId && row.ghtName ? { id: row.ghtId, name: row.ghtName } : null,
    status: invitationStatus(row, now),
    invitedBy: row.invitedBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    sendCount: row.sendCount,
    lastSentAt: row.lastSentAt.toISOString(),
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    delivery: row.deliveryStatus
      ? {
          status: row.deliveryStatus,
          sentAt: row.deliverySentAt?.toISOString() ?? null,
          error: row.deliveryError,
        }
      : null,
  };
}

export function invitationExpiry(config: Config, from = new Date()): Date {
  return new Date(from.getTime() + config.INVITATION_TTL_HOURS * 3600_000);
}

const emailTaken = () =>
  new ConflictError("email_taken", "An account with this e-mail exists", {
    errors: [{ field: "/email", message: "already has an account" }],
  });

export async function accountExists(tx: Tx, email: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return Boolean(row);
}

export class InvitationService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  async list(user: User, query: { status?: InvitationStatus; q?: string; limit?: number; cursor?: string }) {
    const scope = invitationScope(user);
    const limit = query.limit ?? 20;
    const after = decodeCursor(query.cursor, 1);
    if (after && !UUID.test(after[0]!)) {
      throw new ValidationError([
        { field: "/cursor", message: "is not a cursor this API gave", in: "query" },
      ]);
    }
    const { rows, total } = await listInvitations(this.db, scope, {
      ...(query.status ? { status: query.status } : {}),
      ...(query.q ? { q: query.q } : {}),
      limit,
      ...(after ? { afterId: after[0]! } : {}),
    });
    const page = rows.slice(0, limit);
    const now = new Date();
    return {
      items: page.map((r) => toInvitationView(r, now)),
      total,
      nextCursor: rows.length > limit && page.length > 0 ? encodeCursor([page.at(-1)!.id]) : null,
    };
  }

  async get(user: User, id: string): Promise<Invitation> {
    const row = await findInvitation(this.db, invitationScope(user), id);
    if (!row) throw new NotFoundError("Invitation");
    return toInvitationView(row);
  }

  /** The role and attachment an inviter may give, checked against the directory and their scope. */
  private async checkInvitee(user: User, scope: InvitationScope, body: InvitationCreate) {
    if (!invitableRoles(user.role, user.ghtId).includes(body.role)) {
      throw new ForbiddenError(`Your role may not invite a person with the role '${body.role}'`);
    }
    const establishmentId = body.establishmentId ?? null;
    const ghtId = body.ghtId ?? null;
    const errors: FieldError[] = [];
    if (body.role === "rssi" && !establishmentId && !ghtId) {
      errors.push({ field: "/establishmentId", message: "is required for an RSSI (or give ghtId)" });
    }
    if (body.role === "rssi" && establishmentId && ghtId) {
      errors.push({ field: "/ghtId", message: "give an establishment or a GHT, not both" });
    }
    if (body.role !== "rssi" && (establishmentId || ghtId)) {
      errors.push({ field: establishmentId ? "/establishmentId" : "/ghtId", message: "is only for an RSSI" });
    }
    if (scope.kind === "ght" && ghtId) {
      errors.push({ field: "/ghtId", message: "the RSSI of a GHT invites for one of its establishments" });
    }
    if (errors.length > 0) throw new ValidationError(errors);
    if (establishmentId) {
      const [e] = await this.db
        .select({ id: establishments.id, ghtId: establishments.ghtId, active: establishments.active })
        .from(establishments)
        .where(eq(establishments.id, establishmentId));
      // A GHT's RSSI knows of its members only: any other establishment, existing or not, is not found.
      if (scope.kind === "ght" && e?.ghtId !== scope.ghtId) throw new NotFoundError("Establishment");
      if (!e) errors.push({ field: "/establishmentId", message: "is not a known establishment" });
      else if (!e.active) errors.push({ field: "/establishmentId", message: "is no longer active" });
    }
    if (ghtId) {
      const [g] = await this.db.select({ id: ghts.id }).from(ghts).where(eq(ghts.id, ghtId));
      if (!g) errors.push({ field: "/ghtId", message: "is not a known GHT" });
    }
    if (errors.length > 0) throw new ValidationError(errors);
    return { establishmentId, ghtId };
  }

  /**
   * A new invitation and its e-mail's outbox row, in one transaction. An address that has an account,
   * or an invitation still waiting (even one whose link lapsed), is refused with 409: the waiting one is
   * re-sent instead, so that a person never holds two live links.
   */
  async create(user: User, actor: AuditActor, body: InvitationCreate): Promise<Invitation> {
    const scope = invitationScope(user);
    const { establishmentId, ghtId } = await this.checkInvitee(user, scope, body);
    const email = body.email.trim().toLowerCase();
    const id = await this.db.transaction(async (tx) => {
      if (await accountExists(tx, email)) throw emailTaken();
      const [row] = await tx
        .insert(invitations)
        .values({
          email,
          displayName: body.displayName.trim() || email,
          role: body.role,
          establishmentId,
          ghtId,
          invitedByUserId: user.id,
          expiresAt: invitationExpiry(this.config),
        })
        .onConflictDoNothing()
        .returning();
      if (!row) {
        throw new ConflictError(
          "invitation_pending",
          "An invitation to this e-mail is waiting: re-send or cancel it",
          { errors: [{ field: "/email", message: "has an invitation waiting" }] },
        );
      }
      await writeOutbox(tx, {
        topic: "invitation.sent",
        aggregateId: row.id,
        payload: { sendCount: row.sendCount },
      });
      await writeAudit(tx, actor, {
        action: "invitation.create",
        objectKind: "invitation",
        objectId: row.id,
        objectLabel: email,
        after: {
          email,
          displayName: row.displayName,
          role: row.role,
          establishmentId,
          ghtId,
          expiresAt: row.expiresAt,
        },
      });
      return row.id;
    });
    return this.get(user, id);
  }

  /** The invitation, locked, if the caller may manage it and it is still waiting. */
  private async lockOpen(tx: Tx, scope: InvitationScope, id: string) {
    const visible = await findInvitation(tx, scope, id);
    if (!visible) throw new NotFoundError("Invitation");
    const [row] = await tx.select().from(invitations).where(eq(invitations.id, id)).for("update");
    if (!row) throw new NotFoundError("Invitation");
    if (row.acceptedAt || row.cancelledAt) {
      throw new ConflictError(
        "invitation_closed",
        `The invitation was ${row.acceptedAt ? "accepted" : "cancelled"}: it can no longer change`,
      );
    }
    return row;
  }

  /** A new link (the previous ones stop working), a new expiry, a new e-mail. */
  async resend(user: User, actor: AuditActor, id: string): Promise<Invitation> {
    const scope = invitationScope(user);
    await this.db.transaction(async (tx) => {
      const row = await this.lockOpen(tx, scope, id);
      if (await accountExists(tx, row.email)) throw emailTaken();
      const [updated] = await tx
        .update(invitations)
        .set({
          sendCount: sql`${invitations.sendCount} + 1`,
          lastSentAt: new Date(),
          expiresAt: invitationExpiry(this.config),
        })
        .where(eq(invitations.id, id))
        .returning();
      await writeOutbox(tx, {
        topic: "invitation.sent",
        aggregateId: id,
        payload: { sendCount: updated!.sendCount },
      });
      await writeAudit(tx, actor, {
        action: "invitation.resend",
        objectKind: "invitation",
        objectId: id,
        objectLabel: row.email,
        before: { sendCount: row.sendCount, expiresAt: row.expiresAt },
        after: { sendCount: updated!.sendCount, expiresAt: updated!.expiresAt },
      });
    });
    return this.get(user, id);
  }

  async cancel(user: User, actor: AuditActor, id: string): Promise<Invitation> {
    const scope = invitationScope(user);
    await this.db.transaction(async (tx) => {
      const row = await this.lockOpen(tx, scope, id);
      const [updated] = await tx
        .update(invitations)
        .set({ cancelledAt: new Date() })
        .where(eq(invitations.id, id))
        .returning();
      await writeAudit(tx, actor, {
        action: "invitation.cancel",
        objectKind: "invitation",
        objectId: id,
        objectLabel: row.email,
        before: { cancelledAt: null },
        after: { cancelledAt: updated!.cancelledAt },
      });
    });
    return this.get(user, id);
  }

  private bulkOptions(user: User, territory: string | undefined) {
    const scope = invitationScope(user);
    return {
      ...(scope.kind === "ght" ? { ghtId: scope.ghtId } : {}),
      ...(territory ? { territory } : {}),
    };
  }

  /** Who a bulk invitation would reach now, before anything is sent. */
  async bulkPreview(user: User, territory: string | undefined) {
    const items = await bulkInvitationCandidates(this.db, this.bulkOptions(user, territory));
    return { count: items.length, items };
  }

  /**
   * Invites every establishment's RSSI a preview lists, as it is at this instant, in one transaction:
   * the invitations, one outbox row each, and one trail entry with the count.
   */
  async bulkSend(user: User, actor: AuditActor, territory: string | undefined) {
    const options = this.bulkOptions(user, territory);
    return this.db.transaction(async (tx) => {
      const candidates = await bulkInvitationCandidates(tx, options);
      if (candidates.length === 0) return { count: 0 };
      const expiresAt = invitationExpiry(this.config);
      const created = await tx
        .insert(invitations)
        .values(
          candidates.map((c) => ({
            email: c.email,
            displayName: c.displayName,
            role: "rssi",
            establishmentId: c.establishmentId,
            invitedByUserId: user.id,
            expiresAt,
          })),
        )
        // A concurrent invitation to the same address won: that one stands.
        .onConflictDoNothing()
        .returning({ id: invitations.id, sendCount: invitations.sendCount });
      if (created.length === 0) return { count: 0 };
      await tx.insert(outbox).values(
        created.map((r) =>
          outboxValues({
            topic: "invitation.sent",
            aggregateId: r.id,
            payload: { sendCount: r.sendCount },
          }),
        ),
      );
      await writeAudit(tx, actor, {
        action: "invitation.bulk",
        objectKind: "invitation",
        objectId: "bulk",
        objectLabel: `Invitation groupée des RSSI${territory ? ` (territoire ${territory})` : ""}`,
        after: { count: created.length, territory: territory ?? null, expiresAt },
      });
      return { count: created.length };
    });
  }
}
