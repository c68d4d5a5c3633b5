import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  type CatalogProduct,
  type Establishment,
  PRODUCT_KIND_LABELS,
  PRODUCT_KINDS,
  type ProductKind,
} from "@pris/domain";
import { type KeyboardEvent, useEffect, useState } from "react";
import { api } from "../api/client.ts";
import { SelectField } from "./SelectField.tsx";
import { TextField } from "./TextField.tsx";

export type Product = Establishment["products"][number];

const KIND_OPTIONS = PRODUCT_KINDS.map((k) => [k, PRODUCT_KIND_LABELS[k]] as const);
export const productLabel = (p: { vendor: string; product?: string }) =>
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
 * An establishment's declared products, picked from what the network already declared (GET
 * /catalog/products, one spelling each) or typed when absent from the catalog: the server gives a new one
 * the catalog's spelling if it is already there under another. Used by the RSSI's "Mon établissement"
 * (each change saved at once) and by the administrator's establishment form (saved with the form), so it
 * holds no form of its own.
 */
export function ProductPicker({
  products,
  busy = false,
  onAdd,
  onRemove,
}: {
  products: readonly Product[];
  busy?: boolean;
  onAdd(p: Product): void;
  onRemove(index: number): void;
}) {
  const [kind, setKind] = useState<ProductKind>("dpi");
  const [q, setQ] = useState("");
  const [vendor, setVendor] = useState("");
  const [product, setProduct] = useState("");
  const [missing, setMissing] = useState(false);
  const results = useCatalogSearch(kind, q);

  const addNew = () => {
    if (!vendor.trim()) return setMissing(true);
    setMissing(false);
    onAdd({ kind, vendor: vendor.trim(), ...(product.trim() ? { product: product.trim() } : {}) });
    setVendor("");
    setProduct("");
  };
  // Enter in the new product's fields adds it, rather than submitting a form around the picker.
  const onEnter = (e: KeyboardEvent) => {
    if (e.key !== "Enter" || !(e.target instanceof HTMLInputElement)) return;
    e.preventDefault();
    addNew();
  };

  return (
    <>
      {products.length === 0 ? (
        <p>Aucun produit déclaré.</p>
      ) : (
        <ul className="fr-mb-2w" aria-label="Produits déclarés">
          {products.map((p, i) => (
            <li key={`${p.kind}-${p.vendor}-${p.product ?? ""}`} className="fr-mb-1w">
              <span className="fr-mr-2w">
                {PRODUCT_KIND_LABELS[p.kind]} : <strong>{productLabel(p)}</strong>
              </span>
              <Button
                type="button"
                size="small"
                priority="tertiary"
                disabled={busy}
                title={`Retirer ${productLabel(p)}`}
                onClick={() => onRemove(i)}
              >
                Retirer
              </Button>
            </li>
          ))}
        </ul>
      )}

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
                <span className="fr-mr-2w">{productLabel(p)}</span>
                <Button
                  type="button"
                  size="small"
                  priority="secondary"
                  disabled={busy || already}
                  onClick={() => onAdd(p)}
                >
                  {already ? "Déjà déclaré" : `Choisir ${productLabel(p)}`}
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
      <fieldset className="pris-plain-fieldset" onKeyDown={onEnter}>
        <legend className="fr-text--sm fr-mb-1w">Absent du catalogue ? Déclarez-le :</legend>
        {missing && <Alert severity="error" small description="Indiquez l'éditeur." className="fr-mb-2w" />}
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
            <Button type="button" priority="secondary" disabled={busy} onClick={addNew}>
              Ajouter
            </Button>
          </div>
        </div>
      </fieldset>
    </>
  );
}
