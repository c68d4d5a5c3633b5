import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import {
  INVITATION_STATUS_LABELS,
  INVITATION_STATUSES,
  type Invitation,
  type InvitationStatus,
  ROLE_LABELS,
} from "@pris/domain";
import { type FormEvent, useState } from "react";
import { ApiError, api, describeError } from "../../../api/client.ts";
import { DataTable } from "../../../components/DataTable.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { EnumOptions } from "../../../components/SelectField.tsx";
import { formatShort } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import type { ListFilters, useInvitationList } from "./use-invitation-list.ts";

const STATUS_BADGE: Record<InvitationStatus, "info" | "success" | "warning" | "error"> = {
  pending: "info",
  accepted: "success",
  expired: "warning",
  cancelled: "error",
};

/** The last e-mail's fate, as the delivery row records it. */
function deliveryText(i: Invitation, tz: string): string {
  const d = i.delivery;
  if (!d) return i.status === "cancelled" ? "Non envoyé" : "En préparation";
  // Closed before its e-mail left: the worker does not send it.
  if (d.status === "failed" && i.status === "cancelled") return "Non envoyé (invitation annulée)";
  switch (d.status) {
    case "sent":
      return d.sentAt ? `Envoyé le ${formatShort(d.sentAt, tz)}` : "Envoyé";
    case "queued":
      return "En file d'envoi";
    case "deferred":
      return "Différé, nouvel essai prévu";
    case "failed":
      return `Échec de l'envoi${d.error ? `\u00a0: ${d.error}` : ""}`;
    default:
      return d.status;
  }
}

function describeAction(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) {
    return err.problem.code === "email_taken"
      ? "Un compte existe déjà avec cette adresse\u00a0: l'invitation n'a plus d'objet."
      : "Cette invitation a déjà été acceptée ou annulée.";
  }
  return describeError(err);
}

interface Props {
  filters: ListFilters;
  setFilters(filters: ListFilters): void;
  list: ReturnType<typeof useInvitationList>;
}

/** The invitations sent, with their status, their e-mail's delivery, and re-send or cancel. */
export function InvitationList({ filters, setFilters, list }: Props) {
  const { config } = useApp();
  const tz = config.timeZone;
  const [draftQ, setDraftQ] = useState(filters.q);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const { state } = list;

  function search(e: FormEvent) {
    e.preventDefault();
    setFilters({ ...filters, q: draftQ.trim() });
  }

  async function act(i: Invitation, action: "resend" | "cancel") {
    if (action === "cancel" && !window.confirm(`Annuler l'invitation de ${i.displayName} (${i.email}) ?`))
      return;
    setBusyId(i.id);
    setNotice(null);
    try {
      const updated = await api.post<Invitation>(`/invitations/${i.id}/${action}`);
      list.replace(updated);
      setNotice({
        ok: true,
        text:
          action === "resend"
            ? `Invitation renvoyée à ${i.email}\u00a0: le lien précédent ne fonctionne plus.`
            : `Invitation de ${i.email} annulée.`,
      });
    } catch (err) {
      setNotice({ ok: false, text: describeAction(err) });
    } finally {
      setBusyId(null);
    }
  }

  return (
    <section className="fr-mt-6w">
      <h2 className="fr-h4">Invitations envoyées</h2>
      <search>
        <form onSubmit={search} className="pris-filters" aria-label="Filtrer les invitations">
          <Input
            label="Rechercher"
            hintText="Nom, adresse, établissement ou FINESS"
            nativeInputProps={{
              type: "search",
              value: draftQ,
              onChange: (e) => setDraftQ(e.target.value),
              maxLength: 200,
            }}
          />
          <Select
            label="Statut"
            nativeSelectProps={{
              value: filters.status,
              onChange: (e) => setFilters({ ...filters, status: e.target.value as InvitationStatus | "" }),
            }}
          >
            <option value="">Tous les statuts</option>
            <EnumOptions values={INVITATION_STATUSES} labels={INVITATION_STATUS_LABELS} />
          </Select>
          <Button type="submit" priority="secondary" iconId="fr-icon-search-line">
            Rechercher
          </Button>
        </form>
      </search>
      {notice && (
        <Alert
          severity={notice.ok ? "success" : "error"}
          small
          description={notice.text}
          className="fr-mb-2w"
        />
      )}
      {state.status === "loading" && <p aria-live="polite">Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="Liste indisponible" message={state.message} retry={list.reload} />
      )}
      {state.status === "ready" && (
        <>
          <p aria-live="polite">
            {state.total === 0
              ? "Aucune invitation ne correspond."
              : `${state.total.toLocaleString("fr-FR")} invitation${state.total > 1 ? "s" : ""}${
                  state.items.length < state.total ? ` — ${state.items.length} affichées` : ""
                }`}
          </p>
          {state.items.length > 0 && (
            <DataTable
              caption="Invitations"
              headers={[
                "Personne",
                "Rôle et périmètre",
                "Statut",
                "Courriel",
                { label: "Actions", hidden: true },
              ]}
              rows={state.items.map((i) => {
                const open = i.status === "pending" || i.status === "expired";
                return {
                  key: i.id,
                  cells: [
                    <div key="person" data-invitation={i.email}>
                      {i.displayName}
                      <div className="fr-text--xs fr-mb-0">{i.email}</div>
                    </div>,
                    <>
                      {ROLE_LABELS[i.role]}
                      {(i.establishment || i.ght) && (
                        <div className="fr-text--xs fr-mb-0">
                          {i.establishment
                            ? `${i.establishment.name} (${i.establishment.finess})`
                            : `GHT\u00a0: ${i.ght!.name}`}
                        </div>
                      )}
                    </>,
                    <>
                      <Badge as="span" small severity={STATUS_BADGE[i.status]}>
                        {INVITATION_STATUS_LABELS[i.status]}
                      </Badge>
                      <div className="fr-text--xs fr-mb-0">
                        {i.status === "accepted" && i.acceptedAt
                          ? `le ${formatShort(i.acceptedAt, tz)}`
                          : i.status === "cancelled" && i.cancelledAt
                            ? `le ${formatShort(i.cancelledAt, tz)}`
                            : `expire le ${formatShort(i.expiresAt, tz)}`}
                      </div>
                    </>,
                    <>
                      {deliveryText(i, tz)}
                      <div className="fr-text--xs fr-mb-0">
                        {i.sendCount > 1 ? `envoyée ${i.sendCount} fois` : "envoyée une fois"}
                        {i.invitedBy ? ` · par ${i.invitedBy}` : ""}
                      </div>
                    </>,
                    open && (
                      <div key="actions" className="pris-row-actions">
                        <Button
                          size="small"
                          priority="secondary"
                          disabled={busyId === i.id}
                          onClick={() => act(i, "resend")}
                          nativeButtonProps={{
                            "aria-label": `Renvoyer l'invitation de ${i.displayName}`,
                          }}
                        >
                          Renvoyer
                        </Button>{" "}
                        <Button
                          size="small"
                          priority="tertiary"
                          disabled={busyId === i.id}
                          onClick={() => act(i, "cancel")}
                          nativeButtonProps={{
                            "aria-label": `Annuler l'invitation de ${i.displayName}`,
                          }}
                        >
                          Annuler
                        </Button>
                      </div>
                    ),
                  ],
                };
              })}
            />
          )}
          {list.moreError && (
            <Alert severity="error" small description={list.moreError} className="fr-mb-2w" />
          )}
          {state.nextCursor && (
            <Button priority="secondary" disabled={state.more} onClick={() => void list.loadMore()}>
              {state.more ? "Chargement…" : "Afficher plus"}
            </Button>
          )}
        </>
      )}
    </section>
  );
}
