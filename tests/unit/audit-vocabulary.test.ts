import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AuditEntry, SYSTEM_ACTOR, writeAudit } from "@pris/db";
import { AUDIT_ACTIONS, AUDIT_OBJECT_KINDS, type AuditAction, auditActionsOf } from "@pris/domain";
import { describe, expect, test } from "vitest";
import {
  ACTION_LABELS,
  actionLabel,
  OBJECT_KIND_LABELS,
} from "../../services/web/src/pages/admin/audit/audit-labels.ts";

const ROOT = join(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" || d.name === "dist" ? [] : sources(path);
    return d.name.endsWith(".ts") ? [path] : [];
  });
}

describe("the administration trail's vocabulary", () => {
  test("every declared action and kind has its French label, and every kind its actions", () => {
    for (const action of Object.keys(AUDIT_ACTIONS) as AuditAction[]) {
      expect(ACTION_LABELS[action], action).toMatch(/\S/);
      expect(actionLabel(action)).not.toBe(action);
    }
    for (const kind of AUDIT_OBJECT_KINDS) {
      expect(OBJECT_KIND_LABELS[kind], kind).toMatch(/\S/);
      expect(auditActionsOf(kind).length, kind).toBeGreaterThan(0);
    }
    expect(auditActionsOf("category_mapping")).toEqual([
      "registry.mapping.update",
      "registry.mapping.delete",
    ]);
    // An action written before the vocabulary existed is still shown, as spelled.
    expect(actionLabel("settings.update")).toBe("settings.update");
  });

  test("every action the services write is a declared one", () => {
    const written = new Set<string>();
    for (const file of [
      ...sources(join(ROOT, "services/api/src")),
      ...sources(join(ROOT, "services/worker/src")),
      ...sources(join(ROOT, "packages/db/src")),
    ]) {
      const text = readFileSync(file, "utf8");
      if (!/writeAudit|AuditEntry/.test(text)) continue;
      for (const m of text.matchAll(/\baction: (?:[^,\n]*\? )?"([a-z_.]+)"(?: : "([a-z_.]+)")?/g)) {
        written.add(m[1]!);
        if (m[2]) written.add(m[2]);
      }
    }
    expect(written.size).toBeGreaterThan(20);
    for (const action of written) expect(Object.keys(AUDIT_ACTIONS), action).toContain(action);
  });

  test("writeAudit refuses an undeclared action, or a kind the action is not recorded against", () => {
    const write = (entry: AuditEntry) => writeAudit(null as never, SYSTEM_ACTOR, entry);
    const object = { objectId: "x", objectLabel: "x" };
    const never = () => [
      // @ts-expect-error an action nobody declared
      write({ ...object, action: "apikey.rotate", objectKind: "apikey" }),
      // @ts-expect-error a declared action against another kind
      write({ ...object, action: "apikey.create", objectKind: "user" }),
      write({ ...object, action: "registry.mapping.delete", objectKind: "territory_mapping" }),
    ];
    expect(never).toBeTypeOf("function");
  });
});
