import type { Me, Role } from "@pris/domain";
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
  /** A finer rule than the role, when the page is for some of a role's people only. */
  shownTo?: (me: Pick<Me, "role" | "ght">) => boolean;
  load: () => Promise<{ default: ComponentType }>;
}

export const ADMIN_PAGES: AdminPage[] = [
  {
    path: "/administration/premiers-pas",
    title: "Premiers pas",
    roles: ["admin"],
    load: () => import("./SetupPage.tsx").then((m) => ({ default: m.SetupPage })),
  },
  {
    path: "/administration/territoires",
    title: "Territoires",
    roles: ["admin"],
    load: () => import("./reference/TerritoriesPage.tsx").then((m) => ({ default: m.TerritoriesPage })),
  },
  {
    path: "/administration/ght",
    title: "GHT",
    roles: ["admin"],
    load: () => import("./reference/GhtsPage.tsx").then((m) => ({ default: m.GhtsPage })),
  },
  {
    path: "/administration/etablissements",
    title: "Établissements",
    roles: ["admin"],
    load: () => import("./reference/EstablishmentsPage.tsx").then((m) => ({ default: m.EstablishmentsPage })),
  },
  {
    path: "/administration/utilisateurs",
    title: "Utilisateurs",
    roles: ["admin"],
    load: () => import("./users/UsersPage.tsx").then((m) => ({ default: m.UsersPage })),
  },
  {
    path: "/administration/double-authentification",
    title: "Double authentification",
    roles: ["admin"],
    load: () => import("./SecondFactorPolicyPage.tsx").then((m) => ({ default: m.SecondFactorPolicyPage })),
  },
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
  {
    path: "/administration/astreinte",
    title: "Astreinte",
    roles: ["admin", "analyst"],
    load: () => import("./roster/RosterPage.tsx").then((m) => ({ default: m.RosterPage })),
  },
  {
    path: "/administration/invitations",
    title: "Invitations",
    // An RSSI invites only as the RSSI of a GHT, for its members.
    roles: ["admin", "analyst", "rssi"],
    shownTo: (me) => me.role !== "rssi" || me.ght !== null,
    load: () => import("./invitations/InvitationsPage.tsx").then((m) => ({ default: m.InvitationsPage })),
  },
];

/** Pages of the API's own, outside this app: the menu opens them as a new document. */
export interface AdminLink {
  href: string;
  title: string;
  roles: readonly Role[];
}

export const ADMIN_LINKS: AdminLink[] = [
  // The worker's queues, on the API's bull-board (services/api/src/plugins/queue-board.ts).
  { href: "/administration/files-attente/", title: "Files d'attente", roles: ["admin"] },
];

export function adminLinksFor(role: Role): AdminLink[] {
  return ADMIN_LINKS.filter((l) => l.roles.includes(role));
}

export function adminPagesFor(role: Role, me?: Pick<Me, "role" | "ght">): AdminPage[] {
  return ADMIN_PAGES.filter((p) => p.roles.includes(role) && (!me || !p.shownTo || p.shownTo(me)));
}
