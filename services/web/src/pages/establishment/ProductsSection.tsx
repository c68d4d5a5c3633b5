import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  type CatalogProduct,
  type Establishment,
  PRODUCT_KIND_LABELS,
  PRODUCT_KINDS,
  type ProductKind,
} from "@pris/domain";
import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api/client.ts";
import { SelectField } from "../../components/SelectField.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useSubmission } from "../../lib/use-submission.ts";
import { describeSelfServiceProblem } from "./self-service-text.ts";

type Product = Establishment["products"][number];

const KIND_OPTIONS = PRODUCT_KINDS.map((k) => [k, PRODUCT_KIND_LABELS[k]] as const);
const label = (p: { vendor: string; product?: string }) =>
  p.product ? `${p.vendor} — ${p.product}` : p.vendor;

/** Entries of the catalog matching what is typed, for the kind chosen. */
function useCatalogSearch(kind: ProductKind, q: string) {
  const [results, setResults] = useState<CatalogProduct[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    const query = new URLSearchParams({ kind, limit: "10" });
    if (q.trim()) query.set("q", q.trim());
    const timer = setTimeout(() => {
      api
        .get<CatalogProduct[]>(`/catalog/products?${query}`, { signal: controller.signal })
        .then(setResults)
        .catch(() => setResults([]));
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [kind, q]);
  return results;
}

/**
 * The products the establishment runs, which bulletins about a vendor or product target. Picked from what
 * the network already declared (one spelling each), or new: the server gives a new one the catalog's
 * spelling if it is already there under another.
 */
export function ProductsSection({
  establishment,
  onSaved,
}: {
  establishment: Establishment;
  onSaved(e: Establishment): void;
}) {
  const [kind, setKind] = useState<ProductKind>("dpi");
  const [q, setQ] = useState("");
  const [vendor, setVendor] = useState("");
  const [product, setProduct] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const results = useCatalogSearch(kind, q);
  const { busy, error, setError, run } = useSubmission(describeSelfServiceProblem);
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

  const add = (p: Product) => void save([...products, p], `${label(p)} ajouté.`);

  const addNew = (e: FormEvent) => {
    e.preventDefault();
    if (!vendor.trim()) return setError("Indiquez l'éditeur.");
    add({ kind, vendor: vendor.trim(), ...(product.trim() ? { product: product.trim() } : {}) });
    setVendor("");
    setProduct("");
  };

  return (
    <section className="pris-section" aria-labelledby="products-title">
      <h2 id="products-title" className="fr-h4">
        Produits déclarés
      </h2>
      {products.length === 0 ? (
        <p>Aucun produit déclaré.</p>
      ) : (
        <ul className="fr-mb-2w" aria-label="Produits déclarés">
          {products.map((p, i) => (
            <li key={`${p.kind}-${p.vendor}-${p.product ?? ""}`} className="fr-mb-1w">
              <span className="fr-mr-2w">
                {PRODUCT_KIND_LABELS[p.kind]} : <strong>{label(p)}</strong>
              </span>
              <Button
                size="small"
                priority="tertiary"
                disabled={busy}
                title={`Retirer ${label(p)}`}
                onClick={() =>
                  void save(
                    products.filter((_, j) => j !== i),
                    `${label(p)} retiré.`,
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

      <h3 className="fr-h6">Ajouter un produit</h3>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-4">
          <SelectField
            id="product-kind"
            label="Type de produit"
            value={kind}
            options={KIND_OPTIONS}
            onChange={setKind}
          />
        </div>
        <div className="fr-col-12 fr-col-md-8">
          <TextField
            id="catalog-search"
            label="Rechercher dans le catalogue"
            hint="Éditeur ou produit déjà déclarés dans la région"
            value={q}
            onValue={setQ}
            type="search"
            autoComplete="off"
          />
        </div>
      </div>
      {results.length > 0 ? (
        <ul aria-label="Produits du catalogue" className="fr-mb-2w">
          {results.map((r) => {
            const p = { kind: r.kind, vendor: r.vendor, ...(r.product ? { product: r.product } : {}) };
            const already = products.some((x) => x.vendor === r.vendor && (x.product ?? "") === r.product);
            return (
              <li key={r.id} className="fr-mb-1w">
                <span className="fr-mr-2w">{label(p)}</span>
                <Button size="small" priority="secondary" disabled={busy || already} onClick={() => add(p)}>
                  {already ? "Déjà déclaré" : `Choisir ${label(p)}`}
                </Button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="fr-text--sm pris-muted">
          Aucun produit de ce type dans le catalogue pour cette recherche.
        </p>
      )}
      <form onSubmit={addNew} aria-label="Nouveau produit">
        <p className="fr-text--sm fr-mb-1w">Absent du catalogue ? Déclarez-le :</p>
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-5">
            <TextField id="new-vendor" label="Éditeur" value={vendor} onValue={setVendor} maxLength={200} />
          </div>
          <div className="fr-col-12 fr-col-md-5">
            <TextField
              id="new-product"
              label="Produit (facultatif)"
              value={product}
              onValue={setProduct}
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
