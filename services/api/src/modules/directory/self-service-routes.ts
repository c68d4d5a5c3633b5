import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { canonicalProducts, catalogProducts, establishments, type Tx, writeAudit } from "@pris/db";
import {
  CatalogProductSchema,
  CatalogQuerySchema,
  ContactsSchema,
  catalogKey,
  EstablishmentProductsUpdateSchema,
  EstablishmentSchema,
  EstablishmentSuppliersUpdateSchema,
  IdParamsSchema,
  type ProductKind,
} from "@pris/domain";
import { and, asc, eq, like } from "drizzle-orm";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { type Access, PEOPLE, type Principal, requireUser } from "../../auth/principal.ts";
import { NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";
import { establishmentScope, toEstablishmentView } from "./establishment-routes.ts";

/** An establishment's RSSI keeps its record true; administrators may do it for any. */
const RECORD_KEEPERS: Access = ["admin", "rssi"];

type EstablishmentRow = typeof establishments.$inferSelect;
type Part = "contacts" | "products" | "suppliers";

/**
 * What an establishment says of itself: its contacts by role, its declared products (in the catalog's
 * spelling, so that bulletin targeting finds every establishment using one) and its suppliers. Each is
 * replaced as a whole, audited with its before and after.
 */
const selfServiceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  /** Locks the establishment if the caller may edit it; 404 alike for unknown and out of scope. */
  async function lockInScope(tx: Tx, principal: Principal, id: string): Promise<EstablishmentRow> {
    const scope = principal.role === "admin" ? undefined : establishmentScope(principal);
    const [row] = await tx
      .select()
      .from(establishments)
      .where(and(eq(establishments.id, id), scope))
      .for("update");
    if (!row) throw new NotFoundError("Establishment");
    return row;
  }

  async function replacePart<P extends Part>(
    request: Parameters<typeof auditActor>[0] & { params: { id: string } },
    part: P,
    next: (tx: Tx, row: EstablishmentRow, userId: string) => Promise<EstablishmentRow[P]>,
  ) {
    const principal = requireUser(request.principal);
    const row = await db.transaction(async (tx) => {
      const before = await lockInScope(tx, principal, request.params.id);
      const value = await next(tx, before, principal.id);
      const [after] = await tx
        .update(establishments)
        .set({ [part]: value, updatedAt: new Date() })
        .where(eq(establishments.id, before.id))
        .returning();
      await writeAudit(tx, auditActor(request), {
        action: `establishment.${part as Part}`,
        objectKind: "establishment",
        objectId: before.id,
        objectLabel: before.name,
        before: { [part]: before[part] },
        after: { [part]: after![part] },
      });
      return after!;
    });
    app.directoryCache.invalidate();
    return toEstablishmentView(row);
  }

  app.put(
    "/establishments/:id/contacts",
    {
      config: { access: RECORD_KEEPERS },
      schema: {
        tags: ["directory"],
        operationId: "replaceEstablishmentContacts",
        summary: "Replace an establishment's contacts by role (its RSSI, or an administrator)",
        description:
          "Replaces the whole list of the establishment's contacts (RSSI, deputy, director, DPO, " +
          "functional mailbox). Its RSSI or an administrator; outside the caller's scope, 404.",
        params: IdParamsSchema,
        body: ContactsSchema,
        response: { 200: EstablishmentSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => replacePart(request, "contacts", async () => request.body),
  );

  app.put(
    "/establishments/:id/products",
    {
      config: { access: RECORD_KEEPERS },
      schema: {
        tags: ["directory"],
        operationId: "replaceEstablishmentProducts",
        summary: "Replace an establishment's declared products; each takes the catalog's spelling",
        description:
          "Replaces the establishment's declared products (patient record, VPN…), used to target " +
          "alerts and spot contagion. Each product is matched to the catalog's spelling so that the " +
          "network's declarations line up.",
        params: IdParamsSchema,
        body: EstablishmentProductsUpdateSchema,
        response: { 200: EstablishmentSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      replacePart(request, "products", (tx, _row, userId) =>
        canonicalProducts(tx, request.body.products, userId),
      ),
  );

  app.put(
    "/establishments/:id/suppliers",
    {
      config: { access: RECORD_KEEPERS },
      schema: {
        tags: ["directory"],
        operationId: "replaceEstablishmentSuppliers",
        summary: "Replace an establishment's suppliers (managed service, hosting, software…)",
        description:
          "Replaces the establishment's suppliers (managed service provider, hosting, software " +
          "vendor…), used like products to target alerts and spot contagion.",
        params: IdParamsSchema,
        body: EstablishmentSuppliersUpdateSchema,
        response: { 200: EstablishmentSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      replacePart(request, "suppliers", async () => {
        // The same supplier twice for the same service says nothing more.
        const seen = new Set<string>();
        return request.body.suppliers
          .map((s) => ({ service: s.service, name: s.name.trim() }))
          .filter((s) => {
            const key = `${s.service}|${catalogKey(s.name)}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          });
      }),
  );

  app.get(
    "/catalog/products",
    {
      config: { access: PEOPLE },
      schema: {
        tags: ["directory"],
        operationId: "searchCatalogProducts",
        summary: "Vendors and products the network declared, one spelling each, to pick from",
        description:
          "Searches the vendors and products already declared across the network, by name and kind, so " +
          "that a new declaration picks an existing spelling rather than a variant.",
        querystring: CatalogQuerySchema,
        response: { 200: Type.Array(CatalogProductSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { q, kind, limit = 20 } = request.query;
      // The key is lower case without accents or punctuation: every word of the query must be in it.
      const words = q ? catalogKey(q).replace(/\|$/, "").split(" ").filter(Boolean) : [];
      const rows = await db
        .select({
          id: catalogProducts.id,
          kind: catalogProducts.kind,
          vendor: catalogProducts.vendor,
          product: catalogProducts.product,
        })
        .from(catalogProducts)
        .where(
          and(
            kind ? eq(catalogProducts.kind, kind) : undefined,
            ...words.map((w) => like(catalogProducts.key, `%${w}%`)),
          ),
        )
        .orderBy(asc(catalogProducts.vendor), asc(catalogProducts.product))
        .limit(limit);
      return rows.map((r) => ({ ...r, kind: r.kind as ProductKind }));
    },
  );
};

export default selfServiceRoutes;
