import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { ROLE_LABELS, ROLES, type User } from "@pris/domain";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { DataTable } from "../../../components/DataTable.tsx";
import { EstablishmentSearch } from "../../../components/EstablishmentSearch.tsx";
import { labelled, SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { countOf } from "../../../lib/format.ts";
import { formatShort } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import { GhtSelect, useGhts } from "./ScopePickers.tsx";
import { useUserList } from "./use-user-list.ts";

export const USERS_PATH = "/administration/utilisateurs";

/** Where an RSSI acts: their establishment, or their GHT's members. */
export function scopeOf(user: User): string {
  if (user.establishmentName) return user.establishmentName;
  if (user.ghtName) return `${user.ghtName} (tout le GHT)`;
  return "—";
}

function Filters({ list }: { list: ReturnType<typeof useUserList> }) {
  const { filter, setFilters } = list;
  const ghts = useGhts();
  const [text, setText] = useState(filter("q"));
  const applied = filter("q");
  // Typing settles for a moment before the list is asked again.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text.trim() !== applied) setFilters({ q: text.trim() || null });
    }, 300);
    return () => clearTimeout(timer);
  }, [text, applied, setFilters]);

  const establishment = filter("establishmentId")
    ? { id: filter("establishmentId"), name: filter("establishmentName") || "établissement choisi" }
    : null;
  return (
    <div className="fr-grid-row fr-grid-row--gutters fr-mb-2w">
      <div className="fr-col-12 fr-col-md-4">
        <TextField
          id="users-search"
          label="Rechercher"
          hint="Nom ou adresse électronique"
          type="search"
          maxLength={200}
          value={text}
          onValue={setText}
        />
      </div>
      <div className="fr-col-12 fr-col-md-4">
        <SelectField
          id="users-role"
          label="Rôle"
          value={filter("role")}
          options={[["", "Tous les rôles"], ...labelled(ROLES, ROLE_LABELS)]}
          onChange={(role) => setFilters({ role })}
        />
      </div>
      <div className="fr-col-12 fr-col-md-4">
        <SelectField
          id="users-active"
          label="Statut"
          value={filter("active")}
          options={[
            ["", "Actifs et désactivés"],
            ["true", "Actifs"],
            ["false", "Désactivés"],
          ]}
          onChange={(active) => setFilters({ active })}
        />
      </div>
      <div className="fr-col-12 fr-col-md-4">
        <GhtSelect
          id="users-ght"
          label="GHT"
          value={filter("ghtId")}
          ghts={ghts}
          emptyLabel="Tous les GHT"
          onChange={(ghtId) => setFilters({ ghtId })}
        />
      </div>
      <div className="fr-col-12 fr-col-md-8">
        <EstablishmentSearch
          id="users-establishment"
          label="Établissement"
          value={establishment}
          onChange={(picked) =>
            setFilters({ establishmentId: picked?.id ?? null, establishmentName: picked?.name ?? null })
          }
        />
      </div>
    </div>
  );
}

/** Thousands of accounts: filtered on the server, fifty at a time. */
export function UsersList() {
  const { config } = useApp();
  const list = useUserList();
  const { page, error, loading, more } = list;
  return (
    <>
      <h1>Utilisateurs</h1>
      <p>
        Les comptes des RSSI, du pôle cyber, de la task force, de l'ARS et des administrateurs : rôle,
        périmètre et activité. Chaque modification est inscrite au journal d'administration.
      </p>
      <Filters list={list} />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {page && (
        <p aria-live="polite" data-testid="users-total">
          {countOf(page.total, "compte correspondant", "comptes correspondants")}.
        </p>
      )}
      {page && page.items.length > 0 && (
        <DataTable
          caption="Utilisateurs"
          headers={["Nom", "Adresse électronique", "Rôle", "Périmètre", "Statut", "Dernière connexion"]}
          rows={page.items.map((u) => ({
            key: u.id,
            cells: [
              <Link key="name" to={`${USERS_PATH}/${u.id}`}>
                {u.displayName}
              </Link>,
              u.email,
              ROLE_LABELS[u.role],
              scopeOf(u),
              u.active ? (
                <Badge key="status" small severity="success" noIcon>
                  Actif
                </Badge>
              ) : (
                <Badge key="status" small noIcon>
                  Désactivé
                </Badge>
              ),
              u.lastLoginAt ? formatShort(u.lastLoginAt, config.timeZone) : "jamais",
            ],
          }))}
        />
      )}
      {page?.nextCursor && (
        <Button priority="secondary" disabled={loading} onClick={more}>
          Afficher plus
        </Button>
      )}
    </>
  );
}
