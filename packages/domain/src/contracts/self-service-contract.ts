import Type, { type Static } from "typebox";
import { PRODUCT_KINDS } from "../directory.ts";
import { Enum, UuidSchema } from "./common.ts";
import { ProductSchema, SupplierSchema } from "./directory-contract.ts";

/** An establishment's declared products, replaced as a whole; each takes the catalog's spelling. */
export const EstablishmentProductsUpdateSchema = Type.Object(
  { products: Type.Array(ProductSchema, { maxItems: 100 }) },
  {
    description:
      "An establishment's declared products, replacing the whole list; each takes the catalog's spelling.",
    additionalProperties: false,
  },
);
export type EstablishmentProductsUpdate = Static<typeof EstablishmentProductsUpdateSchema>;

export const EstablishmentSuppliersUpdateSchema = Type.Object(
  { suppliers: Type.Array(SupplierSchema, { maxItems: 50 }) },
  { description: "An establishment's suppliers, replacing the whole list.", additionalProperties: false },
);
export type EstablishmentSuppliersUpdate = Static<typeof EstablishmentSuppliersUpdateSchema>;

export const CatalogQuerySchema = Type.Object(
  {
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "Words of the vendor or product" }),
    ),
    kind: Type.Optional(Enum(PRODUCT_KINDS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
  },
  { additionalProperties: false },
);

export const CatalogProductSchema = Type.Object(
  {
    id: UuidSchema,
    kind: Enum(PRODUCT_KINDS),
    vendor: Type.String(),
    product: Type.String({ description: "Empty when the vendor alone is declared" }),
  },
  { description: "A vendor (and product) already declared in the network, in the one spelling to pick." },
);
export type CatalogProduct = Static<typeof CatalogProductSchema>;
