import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { startReactDsfr } from "@codegouvfr/react-dsfr/spa";
import { lazy, type ReactNode, StrictMode, Suspense } from "react";
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
const AckPage = lazy(() => import("./pages/AckPage.tsx").then((m) => ({ default: m.AckPage })));
const BulletinComposerPage = lazy(() =>
  import("./pages/BulletinComposerPage.tsx").then((m) => ({ default: m.BulletinComposerPage })),
);
const BulletinPage = lazy(() =>
  import("./pages/BulletinPage.tsx").then((m) => ({ default: m.BulletinPage })),
);
const BulletinsPage = lazy(() =>
  import("./pages/BulletinsPage.tsx").then((m) => ({ default: m.BulletinsPage })),
);
const ChangePasswordPage = lazy(() =>
  import("./pages/ChangePasswordPage.tsx").then((m) => ({ default: m.ChangePasswordPage })),
);
const ConfirmationPage = lazy(() =>
  import("./pages/ConfirmationPage.tsx").then((m) => ({ default: m.ConfirmationPage })),
);
const ExercisePage = lazy(() =>
  import("./pages/exercises/ExercisePage.tsx").then((m) => ({ default: m.ExercisePage })),
);
const ExercisesPage = lazy(() =>
  import("./pages/exercises/ExercisesPage.tsx").then((m) => ({ default: m.ExercisesPage })),
);
const ParticipationPage = lazy(() =>
  import("./pages/exercises/ParticipationPage.tsx").then((m) => ({ default: m.ParticipationPage })),
);
const ForgotPasswordPage = lazy(() =>
  import("./pages/ForgotPasswordPage.tsx").then((m) => ({ default: m.ForgotPasswordPage })),
);
const IncidentPage = lazy(() =>
  import("./pages/IncidentPage.tsx").then((m) => ({ default: m.IncidentPage })),
);
const IncidentsPage = lazy(() =>
  import("./pages/IncidentsPage.tsx").then((m) => ({ default: m.IncidentsPage })),
);
const InvitationPage = lazy(() =>
  import("./pages/InvitationPage.tsx").then((m) => ({ default: m.InvitationPage })),
);
const QueuePage = lazy(() => import("./pages/QueuePage.tsx").then((m) => ({ default: m.QueuePage })));
const ResetPasswordPage = lazy(() =>
  import("./pages/ResetPasswordPage.tsx").then((m) => ({ default: m.ResetPasswordPage })),
);
/**
 * The declaration form is what an RSSI comes for, often from a phone: its code is fetched as soon as the
 * app starts, beside the session check, rather than after it; and it is at hand if the network drops.
 */
const loadDeclarePage = () => import("./pages/DeclarePage.tsx");
const declarePage = loadDeclarePage().catch(() => null);
const DeclarePage = lazy(async () => ({
  default: ((await declarePage) ?? (await loadDeclarePage())).DeclarePage,
}));
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
            <Route
              path="/reponse/:token"
              element={
                <Loading>
                  <AckPage />
                </Loading>
              }
            />
            <Route
              path="/invitation/:token"
              element={
                <Loading>
                  <InvitationPage />
                </Loading>
              }
            />
            <Route
              path="/mot-de-passe-oublie"
              element={
                <Loading>
                  <ForgotPasswordPage />
                </Loading>
              }
            />
            <Route
              path="/mot-de-passe/:token"
              element={
                <Loading>
                  <ResetPasswordPage />
                </Loading>
              }
            />
            <Route element={<RequireAuth />}>
              <Route index element={<HomeRedirect />} />
              <Route
                path="/mon-compte/mot-de-passe"
                element={
                  <Loading>
                    <ChangePasswordPage />
                  </Loading>
                }
              />
              <Route
                path="/mon-compte/sessions"
                element={
                  <Loading>
                    <SessionsPage />
                  </Loading>
                }
              />
              <Route
                path="/declarer"
                element={
                  <Loading>
                    <DeclarePage />
                  </Loading>
                }
              />
              <Route
                path="/file"
                element={
                  <Loading>
                    <QueuePage />
                  </Loading>
                }
              />
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
              <Route
                path="/exercices"
                element={
                  <Loading>
                    <ExercisesPage />
                  </Loading>
                }
              />
              <Route
                path="/exercices/tableau-de-bord"
                element={
                  <Loading>
                    <ExerciseDashboardPage />
                  </Loading>
                }
              />
              <Route
                path="/exercices/participations/:id"
                element={
                  <Loading>
                    <ParticipationPage />
                  </Loading>
                }
              />
              <Route
                path="/retex"
                element={
                  <Loading>
                    <SharedRetexPage />
                  </Loading>
                }
              />
              <Route
                path="/exercices/:id"
                element={
                  <Loading>
                    <ExercisePage />
                  </Loading>
                }
              />
              <Route
                path="/incidents"
                element={
                  <Loading>
                    <IncidentsPage />
                  </Loading>
                }
              />
              <Route
                path="/incidents/:id"
                element={
                  <Loading>
                    <IncidentPage />
                  </Loading>
                }
              />
              <Route
                path="/incidents/:id/confirmation"
                element={
                  <Loading>
                    <ConfirmationPage />
                  </Loading>
                }
              />
              <Route
                path="/bulletins"
                element={
                  <Loading>
                    <BulletinsPage />
                  </Loading>
                }
              />
              <Route
                path="/bulletins/nouveau"
                element={
                  <Loading>
                    <BulletinComposerPage key="new" mode="new" />
                  </Loading>
                }
              />
              <Route
                path="/bulletins/:id"
                element={
                  <Loading>
                    <BulletinPage />
                  </Loading>
                }
              />
              <Route
                path="/bulletins/:id/modifier"
                element={
                  <Loading>
                    <BulletinComposerPage key="edit" mode="edit" />
                  </Loading>
                }
              />
              <Route
                path="/bulletins/:id/reviser"
                element={
                  <Loading>
                    <BulletinComposerPage key="revise" mode="revise" />
                  </Loading>
                }
              />
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </AppProvider>
  </StrictMode>,
);
