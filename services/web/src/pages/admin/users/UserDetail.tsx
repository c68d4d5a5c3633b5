import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { ToggleSwitch } from "@codegouvfr/react-dsfr/ToggleSwitch";
import { type AuditPage, ROLE_LABELS, ROLES, type Role, type User, type UserPatch } from "@pris/domain";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../../../api/client.ts";
import { EstablishmentSearch, type Named } from "../../../components/EstablishmentSearch.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { labelled, SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { useResource } from "../../../lib/use-resource.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { formatShort } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import { AuditTable } from "../audit/AuditEntryView.tsx";
import { AUDIT_PATH } from "../audit/use-audit-trail.ts";
import { GhtSelect, useGhts } from "./ScopePickers.tsx";
import { SecondFactorReset } from "./SecondFactorReset.tsx";
import { UserSessions } from "./UserSessions.tsx";
import { scopeOf, USERS_PATH } from "./UsersList.tsx";
import { describeUserProblem } from "./user-problems.ts";

interface Draft {
  displayName: string;
  phone: string;
  role: Role;
  scope: "establishment" | "ght";
  establishment: Named | null;
  ghtId: string;
  active: boolean;
  password: string;
}

const draftOf = (u: User): Draft => ({
  displayName: u.displayName,
  phone: u.phone ?? "",
  role: u.role,
  scope: u.ghtId && !u.establishmentId ? "ght" : "establishment",
  establishment: u.establishmentId ? { id: u.establishmentId, name: u.establishmentName ?? "" } : null,
  ghtId: u.ghtId ?? "",
  active: u.active,
  password: "",
});

/** What the form changes, and only that: an untouched field is not sent (nor traced). */
function patchOf(user: User, d: Draft): UserPatch {
  const rssi = d.role === "rssi";
  const wanted: UserPatch = {
    displayName: d.displayName.trim(),
    phone: d.phone.trim() || null,
    role: d.role,
    establishmentId: rssi && d.scope === "establishment" ? (d.establishment?.id ?? null) : null,
    ghtId: rssi && d.scope === "ght" ? d.ghtId || null : null,
    active: d.active,
  };
  const patch = Object.fromEntries(
    Object.entries(wanted).filter(([key, value]) => user[key as keyof User] !== value),
  ) as UserPatch;
  return d.password ? { ...patch, password: d.password } : patch;
}

/** The latest changes to this account, from the trail. */
function History({ user, version }: { user: User; version: number }) {
  const { config } = useApp();
  const [page, setPage] = useState<AuditPage | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version reloads after a save
  useEffect(() => {
    api
      .get<AuditPage>(`/audit?objectKind=user&objectId=${user.id}&limit=10`)
      .then(setPage)
      .catch(() => setPage(null));
  }, [user.id, version]);
  if (!page) return null;
  return (
    <section className="fr-mt-6w">
      <h2 className="fr-h4">Historique du compte</h2>
      {page.items.length === 0 ? (
        <p>Aucune modification enregistrée.</p>
      ) : (
        <AuditTable entries={page.items} timeZone={config.timeZone} />
      )}
      <Link
        to={`${AUDIT_PATH}?${new URLSearchParams({ objectKind: "user", objectId: user.id, objectLabel: user.displayName })}`}
      >
        Tout l'historique dans le journal
      </Link>
    </section>
  );
}

function UserForm({ user, onSaved }: { user: User; onSaved(u: User): void }) {
  const ghts = useGhts();
  const [draft, setDraft] = useState<Draft>(() => draftOf(user));
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useSubmission(describeUserProblem);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) => {
      setNotice(null);
      setDraft((d) => ({ ...d, [key]: value }));
    };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const patch = patchOf(user, draft);
    if (Object.keys(patch).length === 0) {
      setNotice("Aucune modification à enregistrer.");
      return;
    }
    void run(async () => {
      const next = await api.patch<User>(`/users/${user.id}`, patch);
      setDraft(draftOf(next));
      setNotice("Modifications enregistrées.");
      onSaved(next);
    });
  };

  return (
    <form onSubmit={submit} className="pris-narrow">
      <TextField
        id="user-name"
        label="Nom affiché"
        required
        maxLength={200}
        value={draft.displayName}
        onValue={set("displayName")}
      />
      <TextField
        id="user-phone"
        label="Téléphone"
        hint="Joignable pendant une crise"
        type="tel"
        maxLength={30}
        value={draft.phone}
        onValue={set("phone")}
      />
      <SelectField
        id="user-role"
        label="Rôle"
        value={draft.role}
        options={labelled(ROLES, ROLE_LABELS)}
        onChange={set("role")}
      />
      {draft.role === "rssi" && (
        <fieldset className="fr-fieldset">
          <legend className="fr-fieldset__legend">Périmètre du RSSI</legend>
          <RadioButtons
            name="user-scope"
            orientation="horizontal"
            options={[
              {
                label: "Un établissement",
                nativeInputProps: {
                  checked: draft.scope === "establishment",
                  onChange: () => set("scope")("establishment"),
                },
              },
              {
                label: "Tous les membres d'un GHT",
                nativeInputProps: { checked: draft.scope === "ght", onChange: () => set("scope")("ght") },
              },
            ]}
          />
          {draft.scope === "establishment" ? (
            <EstablishmentSearch
              id="user-establishment"
              label="Établissement"
              value={draft.establishment}
              onChange={set("establishment")}
            />
          ) : (
            <GhtSelect
              id="user-ght"
              label="GHT"
              value={draft.ghtId}
              ghts={ghts}
              emptyLabel="Choisir un GHT"
              onChange={set("ghtId")}
            />
          )}
        </fieldset>
      )}
      <ToggleSwitch
        label="Compte actif"
        helperText="Un compte désactivé ne peut plus se connecter ; ses actions passées restent attribuées."
        checked={draft.active}
        onChange={set("active")}
        inputTitle="Compte actif"
        showCheckedHint={false}
      />
      <TextField
        id="user-password"
        label="Nouveau mot de passe (facultatif)"
        hint="12 caractères au moins, difficile à deviner (ni le nom de la personne, ni son adresse) ; laissez vide pour ne pas le changer. Ses sessions ouvertes seront fermées."
        type="password"
        autoComplete="new-password"
        minLength={12}
        maxLength={200}
        value={draft.password}
        onValue={set("password")}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {notice && <Alert severity="success" small description={notice} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy}>
        Enregistrer
      </Button>
    </form>
  );
}

export function UserDetail() {
  const { id } = useParams();
  const { config } = useApp();
  const { state, set, reload } = useResource<User>(`/users/${id}`);
  const [version, setVersion] = useState(0);
  if (state.status === "loading") return <p>Chargement…</p>;
  if (state.status === "error")
    return <LoadError title="Compte introuvable" message={state.message} retry={reload} />;
  const user = state.data;
  return (
    <>
      <Link to={USERS_PATH} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
        Tous les utilisateurs
      </Link>
      <h1 className="fr-mt-2w">{user.displayName}</h1>
      <p>
        {user.email} · {ROLE_LABELS[user.role]} · {scopeOf(user)} · {user.active ? "actif" : "désactivé"}
        <br />
        Créé le {formatShort(user.createdAt, config.timeZone)} · dernière connexion :{" "}
        {user.lastLoginAt ? formatShort(user.lastLoginAt, config.timeZone) : "jamais"}
      </p>
      <UserForm
        key={user.id}
        user={user}
        onSaved={(u) => {
          set(u);
          setVersion((v) => v + 1);
        }}
      />
      <SecondFactorReset user={user} onDone={() => setVersion((v) => v + 1)} />
      <UserSessions user={user} version={version} onDone={() => setVersion((v) => v + 1)} />
      <History user={user} version={version} />
    </>
  );
}
