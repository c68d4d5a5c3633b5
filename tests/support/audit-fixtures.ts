import { AUDIT_ACTIONS, AUDIT_OBJECT_KINDS } from "@pris/domain";
import { expect } from "vitest";
import {
  ACTION_LABELS,
  changedFieldsOf,
  FIELD_LABELS,
  OBJECT_KIND_LABELS,
} from "../../services/web/src/pages/admin/audit/audit-labels.ts";

interface TrailEntry {
  action: string;
  objectKind: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/**
 * Every entry the flows under test wrote is one the audit page reads in French: a declared action
 * recorded against one of its kinds, and every field it shows named.
 */
export function expectTrailInFrench(entries: TrailEntry[]) {
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) {
    expect(Object.keys(AUDIT_ACTIONS), e.action).toContain(e.action);
    expect(AUDIT_ACTIONS[e.action as keyof typeof AUDIT_ACTIONS], e.action).toContain(e.objectKind);
    expect(AUDIT_OBJECT_KINDS, e.objectKind).toContain(e.objectKind);
    expect(ACTION_LABELS).toHaveProperty([e.action]);
    expect(OBJECT_KIND_LABELS).toHaveProperty([e.objectKind]);
    for (const field of changedFieldsOf(e.before, e.after)) {
      expect(FIELD_LABELS, `${e.action}: ${field}`).toHaveProperty([field]);
    }
  }
}
