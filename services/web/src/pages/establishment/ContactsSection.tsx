import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { Contacts, Establishment } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { TextField } from "../../components/TextField.tsx";
import { useSubmission } from "../../lib/use-submission.ts";
import { describeSelfServiceProblem } from "./self-service-text.ts";

type Role = "rssi" | "deputy" | "director" | "dpo";
const ROLES: [Role, string][] = [
  ["rssi", "RSSI"],
  ["deputy", "RSSI adjoint ou suppléant"],
  ["director", "Directeur ou directrice"],
  ["dpo", "Délégué à la protection des données (DPO)"],
];

type Draft = Record<Role, { name: string; email: string; phone: string }> & { functionalMailbox: string };

function draftOf(c: Contacts): Draft {
  const person = (r: Role) => ({
    name: c[r]?.name ?? "",
    email: c[r]?.email ?? "",
    phone: c[r]?.phone ?? "",
  });
  return {
    rssi: person("rssi"),
    deputy: person("deputy"),
    director: person("director"),
    dpo: person("dpo"),
    functionalMailbox: c.functionalMailbox ?? "",
  };
}

/** What is sent: a role without a name is left out, empty fields are omitted. */
function contactsOf(d: Draft): Contacts {
  const out: Contacts = {};
  for (const [role] of ROLES) {
    const p = d[role];
    if (!p.name.trim()) continue;
    out[role] = {
      name: p.name.trim(),
      ...(p.email.trim() ? { email: p.email.trim() } : {}),
      ...(p.phone.trim() ? { phone: p.phone.trim() } : {}),
    };
  }
  if (d.functionalMailbox.trim()) out.functionalMailbox = d.functionalMailbox.trim();
  return out;
}

/** Who to reach at the establishment, by role: bulletins go to the RSSI, the deputy and the mailbox. */
export function ContactsSection({
  establishment,
  onSaved,
}: {
  establishment: Establishment;
  onSaved(e: Establishment): void;
}) {
  const [draft, setDraft] = useState(() => draftOf(establishment.contacts));
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmission(describeSelfServiceProblem);
  const set = (role: Role, field: "name" | "email" | "phone") => (value: string) =>
    setDraft((d) => ({ ...d, [role]: { ...d[role], [field]: value } }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      const updated = await api.put<Establishment>(
        `/establishments/${establishment.id}/contacts`,
        contactsOf(draft),
      );
      onSaved(updated);
      setDraft(draftOf(updated.contacts));
      setSaved(true);
    });
  };

  return (
    <section className="pris-section" aria-labelledby="contacts-title">
      <h2 id="contacts-title" className="fr-h4">
        Contacts
      </h2>
      <p className="fr-text--sm">
        Les bulletins d'alerte sont adressés au RSSI, à son adjoint et à la boîte fonctionnelle. Laissez le
        nom vide pour retirer un contact.
      </p>
      <form onSubmit={submit}>
        {ROLES.map(([role, label]) => (
          <fieldset key={role} className="fr-fieldset fr-mb-1w">
            <legend className="fr-fieldset__legend fr-text--bold">{label}</legend>
            <div className="fr-grid-row fr-grid-row--gutters">
              <div className="fr-col-12 fr-col-md-4">
                <TextField
                  id={`${role}-name`}
                  label={`Nom (${label})`}
                  value={draft[role].name}
                  onValue={set(role, "name")}
                />
              </div>
              <div className="fr-col-12 fr-col-md-4">
                <TextField
                  id={`${role}-email`}
                  label={`Adresse électronique (${label})`}
                  type="email"
                  value={draft[role].email}
                  onValue={set(role, "email")}
                />
              </div>
              <div className="fr-col-12 fr-col-md-4">
                <TextField
                  id={`${role}-phone`}
                  label={`Téléphone (${label})`}
                  type="tel"
                  value={draft[role].phone}
                  onValue={set(role, "phone")}
                />
              </div>
            </div>
          </fieldset>
        ))}
        <TextField
          id="functional-mailbox"
          label="Boîte fonctionnelle de sécurité"
          hint="Par exemple ssi@votre-etablissement.fr"
          type="email"
          value={draft.functionalMailbox}
          onValue={(v) => setDraft((d) => ({ ...d, functionalMailbox: v }))}
        />
        {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
        {saved && <Alert severity="success" small description="Contacts enregistrés." className="fr-mb-2w" />}
        <Button type="submit" disabled={busy}>
          Enregistrer les contacts
        </Button>
      </form>
    </section>
  );
}
