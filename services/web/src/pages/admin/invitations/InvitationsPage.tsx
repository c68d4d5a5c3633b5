import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { useState } from "react";
import { usePageTitle } from "../../../components/Layout.tsx";
import { useMe } from "../../../session.tsx";
import { BulkInvitation } from "./BulkInvitation.tsx";
import { InvitationList } from "./InvitationList.tsx";
import { InviteForm } from "./InviteForm.tsx";
import { type ListFilters, useInvitationList } from "./use-invitation-list.ts";

/**
 * People onboarded by invitation: the administrator invites anyone, the pole's analysts the network's
 * RSSIs, a GHT's RSSI those of its members. Each gets an e-mail with a single-use link that expires.
 */
export function InvitationsPage() {
  usePageTitle("Invitations");
  const me = useMe();
  const [filters, setFilters] = useState<ListFilters>({ status: "", q: "" });
  const list = useInvitationList(filters);

  if (me.role === "rssi" && !me.ght) {
    return (
      <div className="fr-container fr-my-4w">
        <h1>Invitations</h1>
        <Alert
          severity="info"
          title="Réservé au RSSI d'un GHT"
          description="Seuls l'administrateur, les analystes du pôle et le RSSI d'un GHT peuvent inviter. Demandez au pôle régional d'inviter vos collègues."
        />
      </div>
    );
  }

  const who =
    me.role === "admin"
      ? "Invitez toute personne, quel que soit son rôle."
      : me.role === "analyst"
        ? "Invitez les RSSI des établissements de la région."
        : `Invitez les RSSI des établissements du ${me.ght?.name ?? "GHT"}.`;
  return (
    <div className="fr-container fr-my-4w">
      <h1>Invitations</h1>
      <p>
        {who} La personne reçoit un courriel avec un lien personnel, utilisable une seule fois, pour choisir
        son mot de passe. Renvoyer une invitation rend le lien précédent inutilisable.
      </p>
      <InviteForm onInvited={list.reload} />
      <BulkInvitation onSent={list.reload} />
      <InvitationList filters={filters} setFilters={setFilters} list={list} />
    </div>
  );
}
