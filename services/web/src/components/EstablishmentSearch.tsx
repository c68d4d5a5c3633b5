import type { Establishment } from "@pris/domain";
import { useEffect, useRef, useState } from "react";
import { api } from "../api/client.ts";
import { TextField } from "./TextField.tsx";

export interface Named {
  id: string;
  name: string;
}

/**
 * One establishment picked among the directory's hundreds: type a name or a FINESS, choose among the
 * first matches. `value` is the picked one (shown above the search), null when none. `activeOnly` leaves
 * out the establishments closed in the registry (nothing can be declared for them).
 */
export function EstablishmentSearch({
  id,
  label,
  value,
  onChange,
  activeOnly = false,
}: {
  id: string;
  label: string;
  value: Named | null;
  onChange(picked: Named | null): void;
  activeOnly?: boolean;
}) {
  const [text, setText] = useState("");
  const [matches, setMatches] = useState<Establishment[]>([]);
  const latest = useRef(0);

  useEffect(() => {
    const q = text.trim();
    if (q.length < 2) {
      setMatches([]);
      return;
    }
    const request = ++latest.current;
    const timer = setTimeout(() => {
      api
        .get<{ items: Establishment[] }>(
          `/establishments?${new URLSearchParams({ q, limit: "8", ...(activeOnly ? { active: "true" } : {}) })}`,
        )
        .then((page) => request === latest.current && setMatches(page.items))
        .catch(() => request === latest.current && setMatches([]));
    }, 250);
    return () => clearTimeout(timer);
  }, [text, activeOnly]);

  return (
    <div className="fr-mb-2w">
      {value ? (
        <p className="fr-mb-1w">
          {label} : <strong data-testid={`${id}-picked`}>{value.name}</strong>{" "}
          <button type="button" className="fr-link fr-ml-1w" onClick={() => onChange(null)}>
            Changer
          </button>
        </p>
      ) : (
        <>
          <TextField
            id={id}
            label={label}
            hint="Nom ou numéro FINESS (2 caractères au moins)"
            type="search"
            maxLength={200}
            value={text}
            onValue={setText}
            autoComplete="off"
          />
          {matches.length > 0 && (
            <ul className="pris-choices fr-raw-list" aria-label="Établissements correspondants">
              {matches.map((e) => (
                <li key={e.id}>
                  <button
                    type="button"
                    className="fr-btn fr-btn--tertiary-no-outline fr-btn--sm"
                    onClick={() => {
                      onChange({ id: e.id, name: e.name });
                      setText("");
                      setMatches([]);
                    }}
                  >
                    {e.name} ({e.finess})
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
