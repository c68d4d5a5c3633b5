/**
 * The administration trail's vocabulary, declared once: the kinds of object it records and every action
 * a writer may record, with the kinds each action applies to. `writeAudit` accepts only these, and the
 * audit page names each of them in French (a Record over these types, so a new action without its label
 * does not compile).
 */
export const AUDIT_OBJECT_KINDS = [
  "user",
  "territory",
  "ght",
  "establishment",
  "apikey",
  "invitation",
  "oncall",
  "registry_import",
  "category_mapping",
  "territory_mapping",
  "identity_provider",
  "second_factor_policy",
  "token",
] as const;
export type AuditObjectKind = (typeof AUDIT_OBJECT_KINDS)[number];

/** Each action (`<kind>.<verb>`) and the kinds of object it is recorded against. */
export const AUDIT_ACTIONS = {
  "user.create": ["user"],
  "user.update": ["user"],
  "user.deactivate": ["user"],
  "user.reactivate": ["user"],
  "user.password_change": ["user"],
  "user.password_reset": ["user"],
  "user.reset_link_refused": ["user"],
  "territory.create": ["territory"],
  "territory.update": ["territory"],
  "territory.retire": ["territory"],
  "territory.restore": ["territory"],
  "ght.create": ["ght"],
  "ght.update": ["ght"],
  "ght.add_member": ["ght"],
  "ght.remove_member": ["ght"],
  "establishment.create": ["establishment"],
  "establishment.update": ["establishment"],
  "establishment.deactivate": ["establishment"],
  "establishment.reactivate": ["establishment"],
  "establishment.contacts": ["establishment"],
  "establishment.products": ["establishment"],
  "establishment.suppliers": ["establishment"],
  "apikey.create": ["apikey"],
  "apikey.revoke": ["apikey"],
  "invitation.create": ["invitation"],
  "invitation.resend": ["invitation"],
  "invitation.cancel": ["invitation"],
  "invitation.accept": ["invitation"],
  "invitation.bulk": ["invitation"],
  "invitation.link_refused": ["invitation"],
  "oncall.create": ["oncall"],
  "oncall.update": ["oncall"],
  "oncall.delete": ["oncall"],
  "import.preview": ["registry_import"],
  "import.apply": ["registry_import"],
  "registry.mapping.update": ["category_mapping", "territory_mapping"],
  "registry.mapping.delete": ["category_mapping", "territory_mapping"],
  "auth.sso_link": ["user"],
  "auth.sso_refused": ["identity_provider"],
  "mfa.enrol": ["user"],
  "mfa.remove": ["user"],
  "mfa.recovery_codes": ["user"],
  "mfa.failed": ["user"],
  "mfa.reset": ["user"],
  "mfa.policy_update": ["second_factor_policy"],
  "session.end": ["user"],
  "session.end_all": ["user"],
  "auth.token_refused": ["user", "token"],
} as const satisfies Record<string, readonly AuditObjectKind[]>;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** An action with a kind of object it applies to: `{ action: "apikey.create", objectKind: "apikey" }`. */
export type AuditTarget = {
  [A in AuditAction]: { action: A; objectKind: (typeof AUDIT_ACTIONS)[A][number] };
}[AuditAction];

export const isAuditObjectKind = (value: string): value is AuditObjectKind =>
  (AUDIT_OBJECT_KINDS as readonly string[]).includes(value);

export const isAuditAction = (value: string): value is AuditAction => Object.hasOwn(AUDIT_ACTIONS, value);

/** The actions recorded against one kind of object, in declaration order. */
export const auditActionsOf = (kind: AuditObjectKind): AuditAction[] =>
  (Object.keys(AUDIT_ACTIONS) as AuditAction[]).filter((a) =>
    (AUDIT_ACTIONS[a] as readonly AuditObjectKind[]).includes(kind),
  );
