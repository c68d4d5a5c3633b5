import { Alert } from "@codegouvfr/react-dsfr/Alert";
import type { Establishment } from "@pris/domain";
import { useState } from "react";
import { api } from "../../api/client.ts";
import { type Product, ProductPicker, productLabel } from "../../components/ProductPicker.tsx";
import { useSubmission } from "../../lib/use-submission.ts";
import { describeSelfServiceProblem } from "./self-service-text.ts";

/**
 * The products the establishment runs, which bulletins about a vendor or product target: each pick or
 * removal is saved at once.
 */
export function ProductsSection({
  establishment,
  onSaved,
}: {
  establishment: Establishment;
  onSaved(e: Establishment): void;
}) {
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useSubmission(describeSelfServiceProblem);
  const products = establishment.products;

  const save = (next: Product[], what: string) =>
    run(async () => {
      setDone(null);
      const updated = await api.put<Establishment>(`/establishments/${establishment.id}/products`, {
        products: next,
      });
      onSaved(updated);
      setDone(what);
    });

  return (
    <section className="pris-section" aria-labelledby="products-title">
      <h2 id="products-title" className="fr-h4">
        Produits déclarés
      </h2>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {done && <Alert severity="success" small description={done} className="fr-mb-2w" />}
      <ProductPicker
        products={products}
        busy={busy}
        onAdd={(p) => void save([...products, p], `${productLabel(p)} ajouté.`)}
        onRemove={(i) =>
          void save(
            products.filter((_, j) => j !== i),
            `${productLabel(products[i]!)} retiré.`,
          )
        }
      />
    </section>
  );
}
