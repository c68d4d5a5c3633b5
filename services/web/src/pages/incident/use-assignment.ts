import { useEffect, useState } from "react";
import { api, describeProblem } from "../../api/client.ts";

export interface PoleMember {
  id: string;
  displayName: string;
  role: "analyst" | "taskforce";
}

/** Who may be given the incident, and taking, giving or leaving it. */
export function useAssignment(incidentId: string, role: string, onChanged: () => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [members, setMembers] = useState<PoleMember[]>([]);
  useEffect(() => {
    if (role !== "analyst" && role !== "taskforce") return;
    api
      .get<PoleMember[]>("/pole/members")
      .then(setMembers)
      .catch(() => setMembers([]));
  }, [role]);

  async function assign(via: "claim" | "unassign" | "assign", userId?: string) {
    setBusy(true);
    setError(null);
    try {
      await api.post(
        `/incidents/${encodeURIComponent(incidentId)}/${via}`,
        via === "assign" ? { userId } : undefined,
      );
      onChanged();
    } catch (err) {
      setError(describeProblem(err));
    } finally {
      setBusy(false);
    }
  }

  return { members, busy, error, assign };
}
