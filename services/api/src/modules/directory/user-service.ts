import type { Config } from "@pris/config";
import {
  type AuditActor,
  countActiveAdminsOtherThan,
  type Db,
  endUserSessions,
  establishmentExists,
  establishmentsCovered,
  establishmentsOnlyCoveredBy,
  findUserIdByEmail,
  findUserRecord,
  ghtExists,
  insertUser,
  listUsers,
  lockUserDirectory,
  type Tx,
  type UserRecord,
  updateUser,
  writeAudit,
} from "@pris/db";
import type { FieldError, Role, User, UserCreate, UserListQuery, UserPage, UserPatch } from "@pris/domain";
import { enforcePasswordPolicy } from "../../auth/password-policy.ts";
import { hashPassword } from "../../auth/passwords.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";

/** The rules of the directory's people: who may be attached to what, and which changes would orphan data. */

export function toUserView({ user, establishmentName, ghtName }: UserRecord): User {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    phone: user.phone,
    role: user.role as Role,
    establishmentId: user.establishmentId,
    establishmentName,
    ghtId: user.ghtId,
    ghtName,
    active: user.active,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
  };
}

/** What the trail keeps of a user: never the password or its hash (a change shows as passwordChanged). */
function auditSnapshot({ user, establishmentName, ghtName }: UserRecord): Record<string, unknown> {
  return {
    email: user.email,
    displayName: user.displayName,
    phone: user.phone,
    role: user.role,
    establishment: establishmentName,
    establishmentId: user.establishmentId,
    ght: ghtName,
    ghtId: user.ghtId,
    active: user.active,
  };
}

const labelOf = (r: UserRecord) => `${r.user.displayName} (${r.user.email})`;

const emailTaken = () =>
  new ConflictError("email_taken", "A user with this e-mail exists", {
    errors: [{ field: "/email", message: "is already used" }],
  });

/** An RSSI belongs to an establishment or a GHT; other roles to neither. */
async function checkAttachment(tx: Tx, role: Role, establishmentId: string | null, ghtId: string | null) {
  const errors: FieldError[] = [];
  if (role === "rssi" && !establishmentId && !ghtId) {
    errors.push({ field: "/establishmentId", message: "is required for an RSSI (or give ghtId)" });
  }
  if (role !== "rssi" && (establishmentId || ghtId)) {
    errors.push({ field: establishmentId ? "/establishmentId" : "/ghtId", message: "is only for an RSSI" });
  }
  if (establishmentId && !(await establishmentExists(tx, establishmentId))) {
    errors.push({ field: "/establishmentId", message: "is not a known establishment" });
  }
  if (ghtId && !(await ghtExists(tx, ghtId))) {
    errors.push({ field: "/ghtId", message: "is not a known GHT" });
  }
  if (errors.length > 0) throw new ValidationError(errors);
}

export async function listUserPage(db: Db, query: UserListQuery): Promise<UserPage> {
  const limit = query.limit ?? 20;
  const after = decodeCursor(query.cursor, 2) as [string, string] | undefined;
  const { rows, total, more } = await listUsers(
    db,
    {
      ...(query.role ? { role: query.role } : {}),
      ...(query.establishmentId ? { establishmentId: query.establishmentId } : {}),
      ...(query.ghtId ? { ghtId: query.ghtId } : {}),
      ...(query.active !== undefined ? { active: query.active } : {}),
      ...(query.q ? { q: query.q } : {}),
    },
    { limit, ...(after ? { after } : {}) },
  );
  const last = rows.at(-1)?.user;
  return {
    items: rows.map(toUserView),
    total,
    nextCursor: more && last ? encodeCursor([last.email, last.id]) : null,
  };
}

export async function getUser(db: Db, id: string): Promise<User> {
  const record = await findUserRecord(db, id);
  if (!record) throw new NotFoundError("User");
  return toUserView(record);
}

/** The settings the password policy reads (the region's name and code are among its guessable words). */
type PolicyConfig = Pick<Config, "REGION_NAME" | "REGION_CODE">;

export async function createUser(
  db: Db,
  config: PolicyConfig,
  actor: AuditActor,
  body: UserCreate,
): Promise<User> {
  const establishmentId = body.establishmentId ?? null;
  const ghtId = body.ghtId ?? null;
  await checkAttachment(db, body.role, establishmentId, ghtId);
  if (await findUserIdByEmail(db, body.email)) throw emailTaken();
  await enforcePasswordPolicy(config, body.password, body);
  const passwordHash = await hashPassword(body.password);
  return db.transaction(async (tx) => {
    const row = await insertUser(tx, {
      email: body.email.toLowerCase(),
      displayName: body.displayName,
      phone: body.phone ?? null,
      role: body.role,
      establishmentId,
      ghtId,
      passwordHash,
    });
    if (!row) throw emailTaken();
    const record = (await findUserRecord(tx, row.id))!;
    await writeAudit(tx, actor, {
      action: "user.create",
      objectKind: "user",
      objectId: row.id,
      objectLabel: labelOf(record),
      after: auditSnapshot(record),
    });
    return toUserView(record);
  });
}

/** The attachment after a patch: a role other than RSSI drops it; naming one kind of scope drops the other. */
function nextAttachment(current: UserRecord["user"], patch: UserPatch, role: Role) {
  let establishmentId = patch.establishmentId !== undefined ? patch.establishmentId : current.establishmentId;
  let ghtId = patch.ghtId !== undefined ? patch.ghtId : current.ghtId;
  if (role !== "rssi") {
    if (patch.establishmentId === undefined) establishmentId = null;
    if (patch.ghtId === undefined) ghtId = null;
  } else if (patch.establishmentId && patch.ghtId === undefined) {
    ghtId = null;
  } else if (patch.ghtId && patch.establishmentId === undefined) {
    establishmentId = null;
  }
  return { establishmentId, ghtId };
}

/** The field a refusal points at: the one of the patch that takes the user away. */
function leavingField(patch: UserPatch): string {
  if (patch.active === false) return "/active";
  if (patch.role !== undefined) return "/role";
  return patch.ghtId !== undefined && patch.establishmentId === undefined ? "/ghtId" : "/establishmentId";
}

export async function patchUser(
  db: Db,
  config: PolicyConfig,
  actor: AuditActor,
  id: string,
  patch: UserPatch,
): Promise<User> {
  const { password, ...fields } = patch;
  if (password !== undefined) {
    const current = await findUserRecord(db, id);
    if (!current) throw new NotFoundError("User");
    await enforcePasswordPolicy(config, password, {
      email: current.user.email,
      displayName: fields.displayName ?? current.user.displayName,
    });
  }
  const passwordHash = password !== undefined ? await hashPassword(password) : undefined;
  return db.transaction(async (tx) => {
    await lockUserDirectory(tx);
    const before = await findUserRecord(tx, id);
    if (!before) throw new NotFoundError("User");
    const current = before.user;
    const role = fields.role ?? (current.role as Role);
    const active = fields.active ?? current.active;
    const { establishmentId, ghtId } = nextAttachment(current, fields, role);
    await checkAttachment(tx, role, establishmentId, ghtId);

    if (current.role === "admin" && current.active && (role !== "admin" || !active)) {
      if ((await countActiveAdminsOtherThan(tx, id)) === 0) {
        throw new ConflictError("last_admin", "This is the last active administrator", {
          errors: [
            {
              field: leavingField(patch),
              message: "would leave the service without an active administrator",
            },
          ],
        });
      }
    }

    const covered = (r: Role, a: boolean, scope: { establishmentId: string | null; ghtId: string | null }) =>
      r === "rssi" && a ? establishmentsCovered(tx, scope) : Promise.resolve([]);
    const was = await covered(current.role as Role, current.active, current);
    const will = new Set(await covered(role, active, { establishmentId, ghtId }));
    const left = await establishmentsOnlyCoveredBy(
      tx,
      id,
      was.filter((e) => !will.has(e)),
    );
    if (left.length > 0) {
      throw new ConflictError(
        "only_rssi_with_open_incidents",
        "This user is the only active RSSI of establishments with open incidents",
        {
          errors: left.map((e) => ({
            field: leavingField(patch),
            message: `${e.name} (${e.finess}) has open incidents and no other active RSSI`,
          })),
        },
      );
    }

    await updateUser(tx, id, {
      ...(fields.displayName !== undefined ? { displayName: fields.displayName } : {}),
      ...(fields.phone !== undefined ? { phone: fields.phone } : {}),
      role,
      active,
      establishmentId,
      ghtId,
      ...(passwordHash ? { passwordHash, passwordChangedAt: new Date() } : {}),
    });
    // A deactivation, a new role or a password set by an administrator ends the person's sessions.
    const ending =
      current.active && !active
        ? "deactivated"
        : role !== current.role
          ? "role_change"
          : passwordHash
            ? "password_change"
            : null;
    if (ending) await endUserSessions(tx, id, ending);
    const after = (await findUserRecord(tx, id))!;
    const action = active === current.active ? "user.update" : active ? "user.reactivate" : "user.deactivate";
    await writeAudit(tx, actor, {
      action,
      objectKind: "user",
      objectId: id,
      objectLabel: labelOf(after),
      before: { ...auditSnapshot(before), ...(passwordHash ? { passwordChanged: false } : {}) },
      after: { ...auditSnapshot(after), ...(passwordHash ? { passwordChanged: true } : {}) },
    });
    return toUserView(after);
  });
}
