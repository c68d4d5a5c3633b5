import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { startReactDsfr } from "@codegouvfr/react-dsfr/spa";
import { type ComponentType, lazy, type ReactNode, StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Link, Route, Routes } from "react-router";
import { Layout } from "./components/Layout.tsx";
import { RequireAuth } from "./components/RequireAuth.tsx";
import { ADMIN_PAGES } from "./pages/admin/admin-pages.ts";
import { HomeRedirect } from "./pages/HomeRedirect.tsx";
import { LoginPage } from "./pages/LoginPage.tsx";
import { NotFoundPage } from "./pages/NotFoundPage.tsx";
import { AppProvider } from "./session.tsx";
import "./styles.css";

/** Every page but the sign-in comes on demand: the first load brings only what it shows. */
// biome-ignore lint/suspicious/noExplicitAny: React's own lazy() takes a component of any props
function lazyPage<M extends Record<K, ComponentType<any>>, K extends string>(
  load: () => Promise<M>,
  name: K,
) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}
const AckPage = lazyPage(() => import("./pages/AckPage.tsx"), "AckPage");
const BulletinComposerPage = lazyPage(
  () => import("./pages/BulletinComposerPage.tsx"),
  "BulletinComposerPage",
);
const BulletinPage = lazyPage(() => import("./pages/BulletinPage.tsx"), "BulletinPage");
const BulletinsPage = lazyPage(() => import("./pages/BulletinsPage.tsx"), "BulletinsPage");
const ChangePasswordPage = lazyPage(() => import("./pages/ChangePasswordPage.tsx"), "ChangePasswordPage");
const ConfirmationPage = lazyPage(() => import("./pages/ConfirmationPage.tsx"), "ConfirmationPage");
const ExercisePage = lazyPage(() => import("./pages/exercises/ExercisePage.tsx"), "ExercisePage");
const ExercisesPage = lazyPage(() => import("./pages/exercises/ExercisesPage.tsx"), "ExercisesPage");
const ParticipationPage = lazyPage(
  () => import("./pages/exercises/ParticipationPage.tsx"),
  "ParticipationPage",
);
const ForgotPasswordPage = lazyPage(() => import("./pages/ForgotPasswordPage.tsx"), "ForgotPasswordPage");
const IncidentPage = lazyPage(() => import("./pages/IncidentPage.tsx"), "IncidentPage");
const IncidentsPage = lazyPage(() => import("./pages/IncidentsPage.tsx"), "IncidentsPage");
const InvitationPage = lazyPage(() => import("./pages/InvitationPage.tsx"), "InvitationPage");
const QueuePage = lazyPage(() => import("./pages/QueuePage.tsx"), "QueuePage");
const QuarantinePage = lazyPage(() => import("./pages/intake/QuarantinePage.tsx"), "QuarantinePage");
const ResetPasswordPage = lazyPage(() => import("./pages/ResetPasswordPage.tsx"), "ResetPasswordPage");
/**
 * The declaration form is what an RSSI comes for, often from a phone: its code is fetched as soon as the
 * app starts, beside the session check, rather than after it; and it is at hand if the network drops.
 */
const loadDeclarePage = () => import("./pages/DeclarePage.tsx");
const declarePage = loadDeclarePage().catch(() => null);
const DeclarePage = lazy(async () => ({
  default: ((await declarePage) ?? (await loadDeclarePage())).DeclarePage,
}));
const AccessTracesPage = lazyPage(() => import("./pages/AccessTracesPage.tsx"), "AccessTracesPage");
const MyEstablishmentPage = lazyPage(
  () => import("./pages/establishment/MyEstablishmentPage.tsx"),
  "MyEstablishmentPage",
);
const SecurityPage = lazyPage(() => import("./pages/account/SecurityPage.tsx"), "SecurityPage");
const SessionsPage = lazyPage(() => import("./pages/account/SessionsPage.tsx"), "SessionsPage");
const adminPages = ADMIN_PAGES.map((p) => ({ path: p.path, Page: lazy(p.load) }));
/** The statistics page brings a chart library the rest of the app does not need. */
const StatsPage = lazyPage(() => import("./pages/StatsPage.tsx"), "StatsPage");

const SharedRetexPage = lazyPage(() => import("./pages/retex/SharedRetexPage.tsx"), "SharedRetexPage");

const ExerciseDashboardPage = lazyPage(
  () => import("./pages/exercises/ExerciseDashboardPage.tsx"),
  "ExerciseDashboardPage",
);

/** A page loaded on demand (its charts weigh), with the wait said while it comes. */
function Loading({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p className="fr-container fr-my-6w">Chargement…</p>}>{children}</Suspense>;
}

startReactDsfr({ defaultColorScheme: "system", Link });

declare module "@codegouvfr/react-dsfr/spa" {
  interface RegisterLink {
    Link: typeof Link;
  }
}

function Unreachable({ retry }: { retry(): void }) {
  return (
    <main className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h3">PRIS</h1>
      <Alert
        severity="warning"
        title="Service injoignable"
        description="Le service ne répond pas. Vérifiez votre connexion (Wi-Fi ou données mobiles) puis réessayez."
        className="fr-mb-3w"
      />
      <Button iconId="fr-icon-refresh-line" onClick={retry}>
        Réessayer
      </Button>
    </main>
  );
}

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from index.html");

/** The pages anyone reaches, signed in or not (links in e-mails). */
const PUBLIC_PAGES: [path: string, Page: ComponentType][] = [
  ["/reponse/:token", AckPage],
  ["/invitation/:token", InvitationPage],
  ["/mot-de-passe-oublie", ForgotPasswordPage],
  ["/mot-de-passe/:token", ResetPasswordPage],
];

/** The pages behind the sign-in. */
const SIGNED_IN_PAGES: [path: string, Page: ComponentType][] = [
  ["/mon-compte/mot-de-passe", ChangePasswordPage],
  ["/mon-compte/sessions", SessionsPage],
  ["/declarer", DeclarePage],
  ["/file", QueuePage],
  ["/quarantaine", QuarantinePage],
  ["/statistiques", StatsPage],
  ["/traces-acces", AccessTracesPage],
  ["/mon-etablissement", MyEstablishmentPage],
  ["/securite", SecurityPage],
  ["/exercices", ExercisesPage],
  ["/exercices/tableau-de-bord", ExerciseDashboardPage],
  ["/exercices/participations/:id", ParticipationPage],
  ["/retex", SharedRetexPage],
  ["/exercices/:id", ExercisePage],
  ["/incidents", IncidentsPage],
  ["/incidents/:id", IncidentPage],
  ["/incidents/:id/confirmation", ConfirmationPage],
  ["/bulletins", BulletinsPage],
  ["/bulletins/nouveau", () => <BulletinComposerPage mode="new" />],
  ["/bulletins/:id", BulletinPage],
  ["/bulletins/:id/modifier", () => <BulletinComposerPage mode="edit" />],
  ["/bulletins/:id/reviser", () => <BulletinComposerPage mode="revise" />],
];

createRoot(root).render(
  <StrictMode>
    <AppProvider fallback={(retry) => <Unreachable retry={retry} />}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route path="/connexion" element={<LoginPage />} />
            {PUBLIC_PAGES.map(([path, Page]) => (
              <Route
                key={path}
                path={path}
                element={
                  <Loading>
                    <Page />
                  </Loading>
                }
              />
            ))}
            <Route element={<RequireAuth />}>
              <Route index element={<HomeRedirect />} />
              {SIGNED_IN_PAGES.map(([path, Page]) => (
                <Route
                  key={path}
                  path={path}
                  element={
                    <Loading>
                      <Page />
                    </Loading>
                  }
                />
              ))}
              {adminPages.map(({ path, Page }) => (
                <Route
                  key={path}
                  path={`${path}/*`}
                  element={
                    <Loading>
                      <Page />
                    </Loading>
                  }
                />
              ))}
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </AppProvider>
  </StrictMode>,
);
