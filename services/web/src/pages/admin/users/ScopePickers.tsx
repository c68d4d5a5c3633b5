import { useEffect, useState } from "react";
import { api } from "../../../api/client.ts";
import type { Named } from "../../../components/EstablishmentSearch.tsx";
import { SelectField } from "../../../components/SelectField.tsx";

/** The region's GHTs, read once per page. */
export function useGhts(): Named[] {
  const [ghts, setGhts] = useState<Named[]>([]);
  useEffect(() => {
    api
      .get<Named[]>("/ghts")
      .then(setGhts)
      .catch(() => setGhts([]));
  }, []);
  return ghts;
}

export function GhtSelect({
  id,
  label,
  value,
  onChange,
  ghts,
  emptyLabel,
}: {
  id: string;
  label: string;
  value: string;
  onChange(id: string): void;
  ghts: Named[];
  emptyLabel: string;
}) {
  return (
    <SelectField
      id={id}
      label={label}
      value={value}
      options={[["", emptyLabel], ...ghts.map((g) => [g.id, g.name] as const)]}
      onChange={onChange}
    />
  );
}
