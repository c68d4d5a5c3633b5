import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  type Establishment,
  type Invitation,
  type InvitationCreate,
  invitableRoles,
  ROLE_LABELS,
  type Role,
} from "@pris/domain";
import { type FormEvent, useEffect, useState } from "react";
import { ApiError, api, describeProblem } from "../../../api/client.ts";
import { labelled, SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { useMe } from "../../../session.tsx";

interface Option {
  id: string;
  label: string;
}

function describeInvite(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) {
    return err.problem.code === "email_taken"
      ? "Un compte existe déjà avec cette adresse."
      : "Une invitation attend déjà cette adresse\u00a0: renvoyez-la ou annulez-la depuis la liste.";
  }
  if (err instanceof ApiError && err.status === 404)
    return "Cet établissement ne fait pas partie de votre GHT.";
  if (err instanceof ApiError && err.status === 403)
    return "Votre rôle ne permet pas d'inviter cette personne.";
  return describeProblem(err);
}

/** Establishments matching what is typed, for administrators and analysts (the whole directory). */
function useEstablishmentSearch(text: string, enabled: boolean) {
  const [options, setOptions] = useState<Option[]>([]);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const sp = new URLSearchParams({ limit: "20", active: "true" });
      if (text.trim()) sp.set("q", text.trim());
      api
        .get<{ items: Establishment[] }>(`/establishments?${sp}`, { signal: controller.signal })
        .then((page) => setOptions(page.items.map((e) => ({ id: e.id, label: `${e.name} (${e.finess})` }))))
        .catch(() => setOptions([]));
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, enabled]);
  return options;
}

/** One person invited by e-mail: who, which role, and for an RSSI which establishment or GHT. */
export function InviteForm({ onInvited }: { onInvited(invitation: Invitation): void }) {
  const me = useMe();
  const roles = invitableRoles(me.role, me.ght?.id ?? null);
  const ghtRssi = me.role === "rssi";
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>("rssi");
  const [attachment, setAttachment] = useState<"establishment" | "ght">("establishment");
  const [search, setSearch] = useState("");
  const [establishmentId, setEstablishmentId] = useState("");
  const [ghtId, setGhtId] = useState("");
  const [ghtOptions, setGhtOptions] = useState<Option[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const found = useEstablishmentSearch(search, !ghtRssi && role === "rssi" && attachment === "establishment");
  const establishmentOptions: Option[] = ghtRssi
    ? me.establishments.map((e) => ({ id: e.id, label: `${e.name} (${e.finess})` }))
    : found;

  useEffect(() => {
    if (ghtRssi) return;
    api
      .get<{ id: string; name: string }[]>("/ghts")
      .then((rows) => setGhtOptions(rows.map((g) => ({ id: g.id, label: g.name }))))
      .catch(() => setGhtOptions([]));
  }, [ghtRssi]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setDone(null);
    const body: InvitationCreate = { email: email.trim(), displayName: displayName.trim(), role };
    if (role === "rssi") {
      if (attachment === "establishment") {
        // A choice the latest search no longer lists is not what the select shows: ask again.
        if (!establishmentOptions.some((o) => o.id === establishmentId))
          return setError("Choisissez l'établissement de cette personne.");
        body.establishmentId = establishmentId;
      } else {
        if (!ghtId) return setError("Choisissez le GHT de cette personne.");
        body.ghtId = ghtId;
      }
    }
    setBusy(true);
    try {
      const invitation = await api.post<Invitation>("/invitations", body);
      setDone(`Invitation envoyée à ${invitation.email}.`);
      setEmail("");
      setDisplayName("");
      onInvited(invitation);
    } catch (err) {
      setError(describeInvite(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="fr-mt-4w">
      <h2 className="fr-h4">Inviter une personne</h2>
      <form onSubmit={submit} className="pris-narrow" aria-label="Inviter une personne">
        <TextField
          id="invite-name"
          label="Nom et prénom"
          value={displayName}
          onValue={setDisplayName}
          maxLength={200}
          required
        />
        <TextField
          id="invite-email"
          label="Adresse électronique"
          type="email"
          value={email}
          onValue={setEmail}
          maxLength={254}
          required
        />
        {roles.length > 1 && (
          <SelectField
            id="invite-role"
            label="Rôle"
            value={role}
            options={labelled(roles, ROLE_LABELS)}
            onChange={setRole}
          />
        )}
        {role === "rssi" && !ghtRssi && (
          <SelectField
            id="invite-attachment"
            label="Périmètre du RSSI"
            value={attachment}
            options={[
              ["establishment", "Un établissement"],
              ["ght", "Tous les établissements d'un GHT"],
            ]}
            onChange={setAttachment}
          />
        )}
        {role === "rssi" && attachment === "establishment" && !ghtRssi && (
          <TextField
            id="invite-establishment-search"
            label="Rechercher l'établissement"
            hint="Nom ou numéro FINESS"
            type="search"
            value={search}
            onValue={setSearch}
            maxLength={200}
          />
        )}
        {role === "rssi" && (attachment === "establishment" || ghtRssi) && (
          <SelectField
            id="invite-establishment"
            label="Établissement"
            value={establishmentOptions.some((o) => o.id === establishmentId) ? establishmentId : ""}
            options={[["", "— Choisir —"], ...establishmentOptions.map((o) => [o.id, o.label] as const)]}
            onChange={setEstablishmentId}
          />
        )}
        {role === "rssi" && attachment === "ght" && !ghtRssi && (
          <SelectField
            id="invite-ght"
            label="GHT"
            value={ghtId}
            options={[["", "— Choisir —"], ...ghtOptions.map((o) => [o.id, o.label] as const)]}
            onChange={setGhtId}
          />
        )}
        {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
        {done && <Alert severity="success" small description={done} className="fr-mb-2w" />}
        <Button type="submit" disabled={busy} iconId="fr-icon-mail-line">
          Envoyer l'invitation
        </Button>
      </form>
    </section>
  );
}
