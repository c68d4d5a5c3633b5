import { Footer } from "@codegouvfr/react-dsfr/Footer";
import { Header } from "@codegouvfr/react-dsfr/Header";
import type { Me, Role } from "@pris/domain";
import { useEffect } from "react";
import { Outlet, useLocation, useNavigate } from "react-router";
import { adminLinksFor, adminPagesFor } from "../pages/admin/admin-pages.ts";
import { homePath } from "../pages/HomeRedirect.tsx";
import { useApp } from "../session.tsx";
import { NewRetexNotice } from "./NewRetexNotice.tsx";

/** The page title, as screen readers and the browser's tab announce it. */
export function usePageTitle(title: string): void {
  const { config } = useApp();
  useEffect(() => {
    document.title = `${title} — PRIS ${config.regionName}`;
  }, [title, config.regionName]);
}

type NavLink = { text: string; linkProps: { to: string; reloadDocument?: boolean }; isActive: boolean };
type NavItem = NavLink | { text: string; menuLinks: NavLink[]; isActive: boolean };

/** The "Administration" menu: the pages of admin-pages.ts this role may open. */
function administrationMenu(me: Me, path: string): NavItem[] {
  const menuLinks: NavLink[] = adminPagesFor(me.role, me).map((p) => ({
    text: p.title,
    linkProps: { to: p.path },
    isActive: path.startsWith(p.path),
  }));
  for (const l of adminLinksFor(me.role)) {
    // Not a route of this app: the browser loads the API's page.
    menuLinks.push({ text: l.title, linkProps: { to: l.href, reloadDocument: true }, isActive: false });
  }
  if (menuLinks.length === 0) return [];
  return [{ text: "Administration", menuLinks, isActive: menuLinks.some((l) => l.isActive) }];
}

/** What each role comes here for, first. */
function navigationFor(me: Me, path: string): NavItem[] {
  return [...workNavigation(me.role, path), ...administrationMenu(me, path)];
}

function workNavigation(role: Role, path: string): NavItem[] {
  const item = (text: string, to: string, active = path === to): NavItem => ({
    text,
    linkProps: { to },
    isActive: active,
  });
  const incidentPage = /^\/incidents\/[^/]+/.test(path);
  const exercisePage = path.startsWith("/exercices") && path !== "/exercices/tableau-de-bord";
  switch (role) {
    case "rssi":
      return [
        item("Déclarer un incident", "/declarer"),
        item("Mes signalements", "/incidents", path.startsWith("/incidents")),
        item("Exercices de crise", "/exercices", path.startsWith("/exercices")),
        item("RETEX partagés", "/retex"),
        item("Mes bulletins", "/bulletins", path.startsWith("/bulletins")),
        item("Mon établissement", "/mon-etablissement"),
      ];
    case "analyst":
      return [
        item("File des incidents", "/file", path === "/file" || incidentPage),
        item("Courriels en quarantaine", "/quarantaine"),
        item("Déclarer pour un établissement", "/declarer"),
        item("Tous les signalements", "/incidents"),
        item("Bulletins", "/bulletins", path.startsWith("/bulletins")),
        item("Statistiques", "/statistiques"),
        item("Exercices de crise", "/exercices", exercisePage),
        item("RETEX partagés", "/retex"),
      ];
    case "taskforce":
      return [
        item("File des incidents", "/file", path === "/file" || incidentPage),
        item("Bulletins", "/bulletins", path.startsWith("/bulletins")),
      ];
    case "ars":
      return [
        item("Statistiques", "/statistiques"),
        item("Signalements", "/incidents", path.startsWith("/incidents")),
        item("Exercices : réalisation", "/exercices/tableau-de-bord"),
        item("Exercices de crise", "/exercices", exercisePage),
        item("RETEX partagés", "/retex"),
        item("Bulletins", "/bulletins", path.startsWith("/bulletins")),
        item("Traces d'accès", "/traces-acces"),
      ];
    case "admin":
      return [item("Traces d'accès", "/traces-acces")];
    default:
      return [item("Signalements", "/incidents", path.startsWith("/incidents"))];
  }
}

export function Layout() {
  const { config, auth, signOut } = useApp();
  const location = useLocation();
  const navigate = useNavigate();
  const signedIn = auth.status === "authenticated";
  const path = location.pathname;

  // Moving between pages: start reading at the top, as a full page load would.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation only
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [path]);

  return (
    <>
      <Header
        brandTop={
          <>
            République
            <br />
            Française
          </>
        }
        serviceTitle={`PRIS — ${config.regionName}`}
        serviceTagline="Signalement des incidents cyber des établissements de santé et médico-sociaux"
        homeLinkProps={{ to: "/", title: `Accueil — PRIS ${config.regionName}` }}
        quickAccessItems={
          signedIn
            ? [
                {
                  iconId: "fr-icon-account-circle-line",
                  text: auth.me.displayName,
                  linkProps: { to: "/securite", title: "Sécurité du compte" },
                },
                {
                  iconId: "fr-icon-lock-line",
                  text: "Mot de passe",
                  linkProps: { to: "/mon-compte/mot-de-passe" },
                },
                {
                  iconId: "fr-icon-computer-line",
                  text: "Mes sessions",
                  linkProps: { to: "/mon-compte/sessions" },
                },
                {
                  iconId: "fr-icon-logout-box-r-line",
                  text: "Se déconnecter",
                  buttonProps: {
                    onClick: async () => {
                      await signOut();
                      navigate("/connexion");
                    },
                  },
                },
              ]
            : []
        }
        navigation={signedIn ? navigationFor(auth.me, path) : undefined}
      />
      <main id="contenu" tabIndex={-1} className="pris-main">
        {signedIn && path === homePath(auth.me) && (auth.me.role === "ars" || auth.me.role === "rssi") && (
          <NewRetexNotice />
        )}
        <Outlet />
      </main>
      <Footer
        accessibility="non compliant"
        contentDescription={`PRIS — point de contact unique des établissements de santé et médico-sociaux de ${config.regionName} pour signaler un incident de cybersécurité et obtenir l'appui du pôle régional.`}
        bottomItems={[]}
      />
    </>
  );
}
