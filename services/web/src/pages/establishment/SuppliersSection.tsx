import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  type Establishment,
  SUPPLIER_SERVICE_LABELS,
  SUPPLIER_SERVICES,
  type SupplierService,
} from "@pris/domain";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { SelectField } from "../../components/SelectField.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useSubmission } from "../../lib/use-submission.ts";
import { describeSelfServiceProblem } from "./self-service-text.ts";

type Supplier = Establishment["suppliers"][number];
const SERVICE_OPTIONS = SUPPLIER_SERVICES.map((s) => [s, SUPPLIER_SERVICE_LABELS[s]] as const);

/** Who runs part of the information system: a bulletin about a supplier's compromise reaches its clients. */
export function SuppliersSection({
  establishment,
  onSaved,
}: {
  establishment: Establishment;
  onSaved(e: Establishment): void;
}) {
  const [service, setService] = useState<SupplierService>("msp");
  const [name, setName] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmission(describeSelfServiceProblem);
  const suppliers = establishment.suppliers;

  const save = (next: Supplier[], what: string) =>
    run(async () => {
      setDone(null);
      const updated = await api.put<Establishment>(`/establishments/${establishment.id}/suppliers`, {
        suppliers: next,
      });
      onSaved(updated);
      setDone(what);
    });

  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError("Indiquez le nom du prestataire.");
    void save([...suppliers, { service, name: name.trim() }], `${name.trim()} ajouté.`);
    setName("");
  };

  return (
    <section className="pris-section" aria-labelledby="suppliers-title">
      <h2 id="suppliers-title" className="fr-h4">
        Prestataires
      </h2>
      {suppliers.length === 0 ? (
        <p>Aucun prestataire déclaré.</p>
      ) : (
        <ul className="fr-mb-2w" aria-label="Prestataires déclarés">
          {suppliers.map((s, i) => (
            <li key={`${s.service}-${s.name}`} className="fr-mb-1w">
              <span className="fr-mr-2w">
                {SUPPLIER_SERVICE_LABELS[s.service]} : <strong>{s.name}</strong>
              </span>
              <Button
                size="small"
                priority="tertiary"
                disabled={busy}
                title={`Retirer ${s.name}`}
                onClick={() =>
                  void save(
                    suppliers.filter((_, j) => j !== i),
                    `${s.name} retiré.`,
                  )
                }
              >
                Retirer
              </Button>
            </li>
          ))}
        </ul>
      )}
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {done && <Alert severity="success" small description={done} className="fr-mb-2w" />}
      <form onSubmit={add} aria-label="Ajouter un prestataire">
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-5">
            <SelectField
              id="supplier-service"
              label="Service rendu"
              value={service}
              options={SERVICE_OPTIONS}
              onChange={setService}
            />
          </div>
          <div className="fr-col-12 fr-col-md-5">
            <TextField
              id="supplier-name"
              label="Nom du prestataire"
              value={name}
              onValue={setName}
              maxLength={200}
            />
          </div>
          <div className="fr-col-12 fr-col-md-2 fr-mt-md-4w">
            <Button type="submit" priority="secondary" disabled={busy}>
              Ajouter
            </Button>
          </div>
        </div>
      </form>
    </section>
  );
}
