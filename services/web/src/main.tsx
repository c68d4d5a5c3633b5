import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { startReactDsfr } from "@codegouvfr/react-dsfr/spa";
import { lazy, type ReactNode, StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Link, Route, Routes } from "react-router";
import { Layout } from "./components/Layout.tsx";
import { RequireAuth } from "./components/RequireAuth.tsx";
import { AckPage } from "./pages/AckPage.tsx";
import { ADMIN_PAGES } from "./pages/admin/admin-pages.ts";
import { BulletinComposerPage } from "./pages/BulletinComposerPage.tsx";
import { BulletinPage } from "./pages/BulletinPage.tsx";
import { BulletinsPage } from "./pages/BulletinsPage.tsx";
import { ChangePasswordPage } from "./pages/ChangePasswordPage.tsx";
import { ConfirmationPage } from "./pages/ConfirmationPage.tsx";
import { DeclarePage } from "./pages/DeclarePage.tsx";
import { ExercisePage } from "./pages/exercises/ExercisePage.tsx";
import { ExercisesPage } from "./pages/exercises/ExercisesPage.tsx";
import { ParticipationPage } from "./pages/exercises/ParticipationPage.tsx";
import { ForgotPasswordPage } from "./pages/ForgotPasswordPage.tsx";
import { HomeRedirect } from "./pages/HomeRedirect.tsx";
import { IncidentPage } from "./pages/IncidentPage.tsx";
import { IncidentsPage } from "./pages/IncidentsPage.tsx";
import { InvitationPage } from "./pages/InvitationPage.tsx";
import { LoginPage } from "./pages/LoginPage.tsx";
import { NotFoundPage } from "./pages/NotFoundPage.tsx";
import { QueuePage } from "./pages/QueuePage.tsx";
import { ResetPasswordPage } from "./pages/ResetPasswordPage.tsx";
import { AppProvider } from "./session.tsx";
import "./styles.css";

/** The statistics page brings a chart library the rest of the app does not need. */
const AccessTracesPage = lazy(() =>
  import("./pages/AccessTracesPage.tsx").then((m) => ({ default: m.AccessTracesPage })),
);
const MyEstablishmentPage = lazy(() =>
  import("./pages/establishment/MyEstablishmentPage.tsx").then((m) => ({ default: m.MyEstablishmentPage })),
);
const SecurityPage = lazy(() =>
  import("./pages/account/SecurityPage.tsx").then((m) => ({ default: m.SecurityPage })),
);
const SessionsPage = lazy(() =>
  import("./pages/account/SessionsPage.tsx").then((m) => ({ default: m.SessionsPage })),
);
const adminPages = ADMIN_PAGES.map((p) => ({ path: p.path, Page: lazy(p.load) }));
const StatsPage = lazy(() => import("./pages/StatsPage.tsx").then((m) => ({ default: m.StatsPage })));

const SharedRetexPage = lazy(() =>
  import("./pages/retex/SharedRetexPage.tsx").then((m) => ({ default: m.SharedRetexPage })),
);

const ExerciseDashboardPage = lazy(() =>
  import("./pages/exercises/ExerciseDashboardPage.tsx").then((m) => ({ default: m.ExerciseDashboardPage })),
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

createRoot(root).render(
  <StrictMode>
    <AppProvider fallback={(retry) => <Unreachable retry={retry} />}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route path="/connexion" element={<LoginPage />} />
            <Route path="/reponse/:token" element={<AckPage />} />
            <Route path="/invitation/:token" element={<InvitationPage />} />
            <Route path="/mot-de-passe-oublie" element={<ForgotPasswordPage />} />
            <Route path="/mot-de-passe/:token" element={<ResetPasswordPage />} />
            <Route element={<RequireAuth />}>
              <Route index element={<HomeRedirect />} />
              <Route path="/mon-compte/mot-de-passe" element={<ChangePasswordPage />} />
              <Route
                path="/mon-compte/sessions"
                element={
                  <Loading>
                    <SessionsPage />
                  </Loading>
                }
              />
              <Route path="/declarer" element={<DeclarePage />} />
              <Route path="/file" element={<QueuePage />} />
              <Route
                path="/statistiques"
                element={
                  <Loading>
                    <StatsPage />
                  </Loading>
                }
              />
              <Route
                path="/traces-acces"
                element={
                  <Loading>
                    <AccessTracesPage />
                  </Loading>
                }
              />
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
              <Route
                path="/mon-etablissement"
                element={
                  <Loading>
                    <MyEstablishmentPage />
                  </Loading>
                }
              />
              <Route
                path="/securite"
                element={
                  <Loading>
                    <SecurityPage />
                  </Loading>
                }
              />
              <Route path="/exercices" element={<ExercisesPage />} />
              <Route
                path="/exercices/tableau-de-bord"
                element={
                  <Loading>
                    <ExerciseDashboardPage />
                  </Loading>
                }
              />
              <Route path="/exercices/participations/:id" element={<ParticipationPage />} />
              <Route
                path="/retex"
                element={
                  <Loading>
                    <SharedRetexPage />
                  </Loading>
                }
              />
              <Route path="/exercices/:id" element={<ExercisePage />} />
              <Route path="/incidents" element={<IncidentsPage />} />
              <Route path="/incidents/:id" element={<IncidentPage />} />
              <Route path="/incidents/:id/confirmation" element={<ConfirmationPage />} />
              <Route path="/bulletins" element={<BulletinsPage />} />
              <Route path="/bulletins/nouveau" element={<BulletinComposerPage key="new" mode="new" />} />
              <Route path="/bulletins/:id" element={<BulletinPage />} />
              <Route
                path="/bulletins/:id/modifier"
                element={<BulletinComposerPage key="edit" mode="edit" />}
              />
              <Route
                path="/bulletins/:id/reviser"
                element={<BulletinComposerPage key="revise" mode="revise" />}
              />
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </AppProvider>
  </StrictMode>,
);
