import type { DeclarationForm } from "./form.ts";

/**
 * The declaration in progress, kept on the device so that a dropped network, an expired session,
 * a closed tab or a flat battery loses nothing. The Idempotency-Key travels with it: whatever the
 * number of retries, the server creates at most one incident for this draft.
 */
export interface Draft {
  version: 1;
  idempotencyKey: string;
  savedAt: string;
  form: DeclarationForm;
}

const keyFor = (userId: string) => `pris:declaration-draft:${userId}`;

export function loadDraft(userId: string): Draft | null {
  try {
    const raw = localStorage.getItem(keyFor(userId));
    if (!raw) return null;
    const draft = JSON.parse(raw) as Partial<Draft>;
    if (draft.version !== 1 || typeof draft.idempotencyKey !== "string" || !draft.form) return null;
    return draft as Draft;
  } catch {
    return null;
  }
}

/** False when the device refuses (private browsing, storage full): the page then says so. */
export function saveDraft(userId: string, draft: Omit<Draft, "version" | "savedAt">): boolean {
  try {
    const stored: Draft = { version: 1, savedAt: new Date().toISOString(), ...draft };
    localStorage.setItem(keyFor(userId), JSON.stringify(stored));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(userId: string): void {
  try {
    localStorage.removeItem(keyFor(userId));
  } catch {
    // Nothing to do: a draft that cannot be removed could not have been saved either.
  }
}

/** A UUID v4 without crypto.randomUUID, which browsers only offer on HTTPS or localhost. */
export function newIdempotencyKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
