import type { Role } from "@pris/domain";
import type { ComponentType } from "react";

/**
 * The pages under the "Administration" menu: each is loaded on demand (the people who declare never
 * download them) and shown to the roles named. One line per page; main.tsx and the menu read this list.
 */
export interface AdminPage {
  path: string;
  /** As the menu shows it. */
  title: string;
  roles: readonly Role[];
  load: () => Promise<{ default: ComponentType }>;
}

export const ADMIN_PAGES: AdminPage[] = [
  {
    path: "/administration/journal",
    title: "Journal d'administration",
    roles: ["admin"],
    load: () => import("./AuditPage.tsx").then((m) => ({ default: m.AuditPage })),
  },
  {
    path: "/administration/import-finess",
    title: "Import du répertoire FINESS",
    roles: ["admin"],
    load: () => import("./registry/RegistryImportPage.tsx").then((m) => ({ default: m.RegistryImportPage })),
  },
];

export function adminPagesFor(role: Role): AdminPage[] {
  return ADMIN_PAGES.filter((p) => p.roles.includes(role));
}
