import { Button } from "@codegouvfr/react-dsfr/Button";
import { CATEGORIES, type Establishment } from "@pris/domain";
import { useEffect, useRef, useState } from "react";
import { api } from "../../../api/client.ts";
import { TextField } from "../../../components/TextField.tsx";
import { countOf } from "../../../lib/format.ts";
import { describeAdminProblem, type EstablishmentPage } from "./reference-common.ts";

/** Finds an establishment of the directory by name or FINESS, and offers an action on each found. */
export function EstablishmentSearch({
  id,
  label,
  actionLabel,
  busy,
  onPick,
}: {
  id: string;
  label: string;
  actionLabel(e: Establishment): string | null;
  busy?: boolean;
  onPick(e: Establishment): void;
}) {
  const [text, setText] = useState("");
  const [page, setPage] = useState<EstablishmentPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    const q = text.trim();
    if (q.length < 2) {
      setPage(null);
      return;
    }
    const timer = setTimeout(() => {
      const request = ++latest.current;
      setError(null);
      api
        .get<EstablishmentPage>(`/establishments?limit=10&q=${encodeURIComponent(q)}`)
        .then((p) => request === latest.current && setPage(p))
        .catch((err: unknown) => request === latest.current && setError(describeAdminProblem(err)));
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);

  return (
    <div>
      <TextField
        id={id}
        label={label}
        hint="Au moins deux caractères du nom ou le début du numéro FINESS"
        type="search"
        maxLength={200}
        value={text}
        onValue={setText}
      />
      {error && <p className="fr-error-text">{error}</p>}
      {page && (
        <>
          <p className="fr-hint-text" data-testid={`${id}-matches`}>
            {countOf(page.total, "établissement trouvé", "établissements trouvés")}
            {page.total > page.items.length ? ` ; les ${page.items.length} premiers :` : "."}
          </p>
          <ul className="fr-raw-list">
            {page.items.map((e) => {
              const action = actionLabel(e);
              return (
                <li key={e.id} className="fr-mb-1w">
                  {e.name} — {e.finess} ({CATEGORIES[e.category]?.label ?? e.category})
                  {!e.active && " — inactif"}{" "}
                  {action && (
                    <Button
                      type="button"
                      size="small"
                      priority="secondary"
                      disabled={busy}
                      onClick={() => onPick(e)}
                    >
                      {action}
                    </Button>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </div>
  );
}
