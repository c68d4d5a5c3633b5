import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  INCIDENT_STATUSES,
  LOG_ENTRY_KIND_LABELS,
  LOG_ENTRY_KINDS,
  type LogEntry,
  MAIL_TEMPLATE_LABELS,
  MAIL_TEMPLATES,
  QUALIFICATION_FIELD_LABELS,
  RSIT_CLASSES,
  rsitClassLabel,
  rsitTypeLabel,
  rsitWording,
} from "@pris/domain";
import { describe, expect, test } from "vitest";
import { describeEntry } from "../../services/web/src/components/incident/Timeline.tsx";
import {
  TRACED_OPERATION_LABELS,
  tracedOperationLabel,
} from "../../services/web/src/pages/access-trace-labels.ts";
import { INTERNAL_KEYS, rawKeysIn } from "../support/page-quality.ts";

/** The text a React node renders, element by element (no DOM needed). */
function text(node: unknown): string {
  if (node === null || node === undefined || typeof node === "boolean") return "";
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(text).join(" ");
  if (typeof node === "object" && "props" in node) {
    return text((node.props as { children?: unknown }).children);
  }
  return "";
}

const ID = "01900000-0000-7000-8000-000000000001";
const at = "2026-12-06T10:00:00.000Z";

/** One entry of each kind, with the body the API or the worker writes. */
const BODIES: Record<(typeof LOG_ENTRY_KINDS)[number], Record<string, unknown>> = {
  declared: { severity: "P1", impactGrade: 4 },
  status_changed: { action: "acknowledge", from: "new", to: "waiting_establishment", followUpAt: at },
  merged_from: { incident: { id: ID, reference: "REU-2026-0001" } },
  assigned: { via: "claim", assignee: { id: ID, name: "Aline Hoarau" } },
  qualified: {
    changes: {
      rsitClass: { from: "malicious-code", to: "intrusions" },
      rsitType: { from: "infected-system", to: "privileged-account-compromise" },
      severity: { from: "P3", to: "P1" },
    },
    reason: "Chiffrement en cours",
  },
  escalated: {},
  comment: { text: "Note" },
  call: { with: "Rita Payet", summary: "Point de situation" },
  action: { text: "Isolement du réseau" },
  task_added: { task: { id: ID, title: "Appeler le prestataire" }, dueAt: at },
  task_done: { task: { id: ID, title: "Appeler le prestataire" } },
  clock_recorded: { clock: "gdpr_cnil", doneAt: at, authority: "CNIL", report: "progress" },
  observables_added: { observables: [{ type: "ipv4", normalized: "185.220.101.7" }] },
  notification: {
    channel: "email",
    template: "clock-overdue",
    timer: "clock.overdue",
    clock: "nis2_early_warning",
    recipients: 3,
  },
  evidence_added: {
    file: { id: ID, name: "rançon.png", sizeBytes: 1234, sha256: "ab".repeat(32), detectedType: "image/png" },
    scan: { status: "infected", detail: "Eicar-Signature" },
  },
  evidence_scanned: {
    file: { id: ID, name: "rançon.png", sha256: "ab".repeat(32) },
    scan: { status: "infected", detail: "Eicar-Signature" },
    previous: "pending",
  },
  evidence_rescanned: {
    file: { id: ID, name: "journal.txt", sha256: "ab".repeat(32) },
    scan: { status: "clean", detail: null },
    previous: "unscannable",
  },
  retention_purged: {
    retentionDays: 1826,
    closedAt: at,
    files: [{ id: ID, name: "rançon.png", sizeBytes: 1234, sha256: "ab".repeat(32) }],
    mails: [{ id: ID, messageId: "<a@b>", receivedAt: at, attachments: 1 }],
  },
};

describe("no internal key reaches a person", () => {
  test("every entry kind and e-mail has its French label, which is not a key", () => {
    for (const kind of LOG_ENTRY_KINDS) {
      expect(LOG_ENTRY_KIND_LABELS[kind], kind).toMatch(/\S/);
      expect(rawKeysIn(LOG_ENTRY_KIND_LABELS[kind]), kind).toEqual([]);
    }
    for (const template of MAIL_TEMPLATES) {
      expect(MAIL_TEMPLATE_LABELS[template], template).toMatch(/\S/);
      expect(rawKeysIn(MAIL_TEMPLATE_LABELS[template]), template).toEqual([]);
    }
    for (const label of Object.values(QUALIFICATION_FIELD_LABELS)) expect(rawKeysIn(label)).toEqual([]);
    for (const c of RSIT_CLASSES) {
      expect(rawKeysIn(rsitClassLabel(c.value))).toEqual([]);
      for (const t of c.types) expect(rawKeysIn(rsitWording(c.value, t.value)), t.value).toEqual([]);
    }
    // A value the taxonomy no longer holds is not shown as spelled either.
    expect(rsitTypeLabel("retired-type")).toBe("Type inconnu");
    expect(INTERNAL_KEYS.has("incident-declared")).toBe(true);
    expect(INTERNAL_KEYS.has(INCIDENT_STATUSES.find((s) => s.includes("_"))!)).toBe(true);
  });

  test("the main courante tells every kind of entry in words", () => {
    for (const kind of LOG_ENTRY_KINDS) {
      const entry = {
        id: ID,
        seq: 1,
        at,
        kind,
        visibility: "internal",
        actor: null,
        body: BODIES[kind],
      } as unknown as LogEntry;
      const { title, detail } = describeEntry(entry, "Indian/Reunion");
      const said = `${title} ${text(detail)}`;
      expect(rawKeysIn(said), `${kind}: ${said}`).toEqual([]);
      expect(said, kind).not.toMatch(/undefined|null|\[object/);
    }
    const mail = describeEntry(
      { kind: "notification", body: BODIES.notification } as unknown as LogEntry,
      "UTC",
    );
    expect(text(mail.detail)).toBe("Objet : échéance réglementaire dépassée — NIS2 — alerte précoce");
  });
});

describe("the access traces in words", () => {
  test("every operation that leaves an access trace has its label", () => {
    const root = join(import.meta.dirname, "../..");
    const traced = new Set<string>();
    for (const file of readdirSync(join(root, "services/api/src"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      const source = readFileSync(join(root, "services/api/src", file), "utf8");
      for (const m of source.matchAll(/accessTrace: "[a-z_]+"[\s\S]*?operationId: "([A-Za-z]+)"/g))
        traced.add(m[1]!);
    }
    expect(traced.size).toBeGreaterThan(10);
    for (const op of traced) expect(Object.keys(TRACED_OPERATION_LABELS), op).toContain(op);
    expect(tracedOperationLabel("someFutureOperation")).toBe("Autre consultation");
  });
});
