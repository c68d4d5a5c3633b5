import type { ImportOutcome, RegistryImport, RegistryImportRow, RegistryUnmapped } from "@pris/domain";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, describeProblem } from "../../../api/client.ts";

const CONFLICTS: Record<string, string> = {
  import_preview_outdated:
    "L'annuaire a été modifié depuis cet aperçu : relancez l'aperçu avant d'appliquer.",
  import_superseded: "Un aperçu plus récent remplace celui-ci : seul le dernier aperçu peut être appliqué.",
  import_already_applied: "Cet import a déjà été appliqué.",
};

/** The page's French for what the import routes refuse. */
function describeImportProblem(err: unknown): string {
  if (err instanceof ApiError) {
    const code = err.problem.code;
    if (CONFLICTS[code]) return CONFLICTS[code];
    if (err.status === 413) return "Le fichier dépasse la taille maximale acceptée pour un import.";
    if (err.status === 415) return "Envoyez un fichier CSV.";
    if (err.status === 400 && err.problem.errors?.some((e) => e.field === "/file")) {
      return "Fichier illisible : ce n'est ni un extrait FINESS (lignes structureet séparées par des points-virgules), ni une liste CSV dont la première ligne nomme les colonnes (finess, name…).";
    }
  }
  return describeProblem(err);
}

export interface RowsState {
  items: RegistryImportRow[];
  total: number;
  nextCursor: string | null;
}

/**
 * The page's state: the import shown (the latest unless one is picked from the history), its rows for
 * the tab shown (paged), what its refused lines lack a mapping for, and the file last sent, kept so that
 * "relancer l'aperçu" after a mapping sends it again without picking it.
 */
export function useRegistryImport() {
  const [current, setCurrent] = useState<RegistryImport | null>(null);
  const [history, setHistory] = useState<RegistryImport[]>([]);
  const [historyCursor, setHistoryCursor] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<ImportOutcome>("new");
  const [rows, setRows] = useState<RowsState | null>(null);
  const [unmapped, setUnmapped] = useState<RegistryUnmapped | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState<"upload" | "apply" | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadHistory = useCallback(async (cursor?: string) => {
    try {
      const q = new URLSearchParams({ limit: "10", ...(cursor ? { cursor } : {}) });
      const page = await api.get<{ items: RegistryImport[]; nextCursor: string | null }>(
        `/registry/imports?${q}`,
      );
      setHistory((prev) => (cursor ? [...prev, ...page.items] : page.items));
      setHistoryCursor(page.nextCursor);
      if (!cursor) setCurrent((c) => c ?? page.items[0] ?? null);
    } catch (err) {
      setError(describeImportProblem(err));
    }
  }, []);

  useEffect(() => {
    void loadHistory();
  }, [loadHistory]);

  const loadRows = useCallback(async (id: string, which: ImportOutcome, cursor?: string) => {
    try {
      const q = new URLSearchParams({ outcome: which, limit: "50", ...(cursor ? { cursor } : {}) });
      const page = await api.get<RowsState>(`/registry/imports/${id}/rows?${q}`);
      setRows((prev) => (cursor && prev ? { ...page, items: [...prev.items, ...page.items] } : page));
    } catch (err) {
      setError(describeImportProblem(err));
    }
  }, []);

  const loadUnmapped = useCallback(async (id: string) => {
    try {
      setUnmapped(await api.get<RegistryUnmapped>(`/registry/imports/${id}/unmapped`));
    } catch (err) {
      setError(describeImportProblem(err));
    }
  }, []);

  useEffect(() => {
    if (!current) return;
    setRows(null);
    void loadRows(current.id, outcome);
  }, [current, outcome, loadRows]);

  useEffect(() => {
    if (current) void loadUnmapped(current.id);
  }, [current, loadUnmapped]);

  /** Sends a file (or the last one again) for a new preview. */
  const upload = useCallback(
    async (chosen?: File) => {
      const sending = chosen ?? file;
      if (!sending) return;
      setFile(sending);
      setBusy("upload");
      setError(null);
      try {
        const form = new FormData();
        form.append("file", sending, sending.name);
        const created = await api.post<RegistryImport>("/registry/imports", form, { timeoutMs: 600_000 });
        setCurrent(created);
        setOutcome(created.summary.refused > 0 ? "refused" : created.summary.changed > 0 ? "changed" : "new");
        await loadHistory();
      } catch (err) {
        setError(describeImportProblem(err));
      } finally {
        setBusy(null);
      }
    },
    [file, loadHistory],
  );

  const apply = useCallback(
    async (keep: string[]) => {
      if (!current) return;
      setBusy("apply");
      setError(null);
      try {
        const applied = await api.post<RegistryImport>(`/registry/imports/${current.id}/apply`, { keep });
        setCurrent(applied);
        await loadHistory();
      } catch (err) {
        setError(describeImportProblem(err));
      } finally {
        setBusy(null);
      }
    },
    [current, loadHistory],
  );

  const open = useCallback((imp: RegistryImport) => setCurrent(imp), []);

  return {
    current,
    history,
    historyCursor,
    moreHistory: () => historyCursor && void loadHistory(historyCursor),
    outcome,
    setOutcome,
    rows,
    moreRows: () => current && rows?.nextCursor && void loadRows(current.id, outcome, rows.nextCursor),
    unmapped,
    file,
    busy,
    error,
    setError,
    upload,
    apply,
    open,
  };
}
