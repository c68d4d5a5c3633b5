import Type, { type Static } from "typebox";
import type { Role } from "../directory.ts";
import type { Tlp } from "../tlp.ts";
import { DateTimeSchema, Enum, Nullable, UuidSchema } from "./common.ts";

export const EVIDENCE_SCAN_STATUSES = ["pending", "clean", "infected", "unscannable"] as const;
export type EvidenceScanStatus = (typeof EVIDENCE_SCAN_STATUSES)[number];

export const EVIDENCE_SCAN_LABELS: Record<EvidenceScanStatus, string> = {
  pending: "Analyse antivirus en cours",
  clean: "Sain",
  infected: "Infecté : mis en quarantaine",
  unscannable: "Non analysable : mis en quarantaine",
};

export const EvidenceFileParamsSchema = Type.Object(
  { id: UuidSchema, fileId: UuidSchema },
  { additionalProperties: false },
);

export const EvidenceFileSchema = Type.Object(
  {
    id: UuidSchema,
    incidentId: UuidSchema,
    name: Type.String({
      description: "The name the file was sent with, for display only (no path, no control character)",
    }),
    sizeBytes: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: "^[0-9a-f]{64}$", description: "SHA-256 of the bytes, hex" }),
    detectedType: Nullable(
      Type.String({ description: "MIME type told from the bytes (file-type); null when not recognised" }),
    ),
    declaredType: Nullable(Type.String({ description: "The Content-Type the client gave, never trusted" })),
    scanStatus: Enum(EVIDENCE_SCAN_STATUSES, {
      description:
        "ClamAV's verdict: only a clean file can be downloaded; infected or unscannable ones are quarantined",
    }),
    scanDetail: Nullable(
      Type.String({ description: "The signature found, or why the file could not be scanned" }),
    ),
    uploadedBy: Type.Object({
      kind: Enum(["user", "api_key", "email"] as const, {
        description: "A person, an API key, or a message of the intake mailbox (its id; name: its sender)",
      }),
      id: UuidSchema,
      name: Type.String(),
    }),
    createdAt: DateTimeSchema,
    downloadable: Type.Boolean({
      description: "Whether the caller may download it now (scan, TLP, and not purged)",
    }),
    purgedAt: Nullable({
      ...DateTimeSchema,
      description:
        "When its bytes were deleted at the end of the retention period (RETENTION_CLOSED_DAYS after the incident's closure); the row and its SHA-256 stay",
    }),
    logEntrySeq: Nullable(Type.Integer({ description: "Its entry in the main courante's hash chain" })),
  },
  { description: "A file handed over on an incident, as the main courante's hash chain records it" },
);
export type EvidenceFile = Static<typeof EvidenceFileSchema>;

export const EvidenceFileListSchema = Type.Object(
  { items: Type.Array(EvidenceFileSchema) },
  { description: "The files handed over on an incident, oldest first" },
);
export type EvidenceFileList = Static<typeof EvidenceFileListSchema>;

/**
 * Who may download an incident's files, beyond reading the incident: under TLP:AMBER+STRICT and
 * TLP:RED what was handed over stays with the establishment that gave it and the pole it gave it to;
 * the task force and the ARS, who read major incidents, see that the file exists but not its bytes.
 */
export function mayDownloadEvidence(role: Role | "api_key", tlp: Tlp): boolean {
  if (tlp === "AMBER+STRICT" || tlp === "RED") {
    return role === "analyst" || role === "rssi" || role === "api_key";
  }
  return true;
}

/**
 * The name a client gave, made safe to show and to put in a header: the last path component only
 * (either slash), no control or bidirectional-override character, trimmed, at most 200 characters;
 * "fichier" when nothing is left. It never names anything on disk.
 */
export function displayFileName(raw: string | undefined): string {
  const last = (raw ?? "").split(/[/\\]/).pop() ?? "";
  const cleaned = last
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, "")
    .trim()
    .replace(/^\.+$/, "")
    .slice(0, 200);
  return cleaned || "fichier";
}
