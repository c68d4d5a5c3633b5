import type { Me, SsoProvider } from "@pris/domain";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, api, NetworkError, setCsrfToken, takeEarly } from "./api/client.ts";

export interface PublicConfig {
  regionCode: string;
  regionName: string;
  timeZone: string;
  /** The pole's emergency phone; absent from a configuration cached by an older version of the app. */
  poleEmergencyPhone?: string | null;
  /** Single sign-on providers; absent from a configuration cached by an older version of the app. */
  ssoProviders?: SsoProvider[];
}

export type AuthState =
  | { status: "loading" }
  | { status: "anonymous" }
  /** Neither the session nor its absence could be established: the network is down. */
  | { status: "unreachable" }
  | { status: "authenticated"; me: Me };

interface AppContextValue {
  config: PublicConfig;
  auth: AuthState;
  /** After a successful login: the user and the CSRF token of the new session. */
  signedIn(session: { user: Me; csrfToken: string }): void;
  /** A request answered 401: the cookie is gone or expired. */
  expired(): void;
  signOut(): Promise<void>;
  /** Asks the server again who we are (after a reload, or when the network comes back). */
  reloadSession(): Promise<void>;
}

const AppContext = createContext<AppContextValue | null>(null);

/** The region's name and zone are not secret and rarely change: kept so the app opens offline. */
const CONFIG_CACHE_KEY = "pris:public-config";

function cachedConfig(): PublicConfig | null {
  try {
    const raw = localStorage.getItem(CONFIG_CACHE_KEY);
    return raw ? (JSON.parse(raw) as PublicConfig) : null;
  } catch {
    return null;
  }
}

type ConfigState = { status: "loading" } | { status: "ready"; config: PublicConfig } | { status: "failed" };

export function AppProvider({
  children,
  fallback,
}: {
  children: ReactNode;
  fallback: (retry: () => void) => ReactNode;
}) {
  const [configState, setConfigState] = useState<ConfigState>(() => {
    const cached = cachedConfig();
    return cached ? { status: "ready", config: cached } : { status: "loading" };
  });
  const [auth, setAuth] = useState<AuthState>({ status: "loading" });

  const loadConfig = useCallback(async () => {
    try {
      const config = await (takeEarly<PublicConfig>("/config/public") ??
        api.get<PublicConfig>("/config/public", { timeoutMs: 15_000 }));
      try {
        localStorage.setItem(CONFIG_CACHE_KEY, JSON.stringify(config));
      } catch {
        // Storage full or disabled: the app still works, it just cannot open offline.
      }
      setConfigState({ status: "ready", config });
    } catch {
      setConfigState((s) => (s.status === "ready" ? s : { status: "failed" }));
    }
  }, []);

  const reloadSession = useCallback(async () => {
    try {
      const session = await (takeEarly<{ user: Me; csrfToken: string }>("/auth/session") ??
        api.get<{ user: Me; csrfToken: string }>("/auth/session", { timeoutMs: 15_000 }));
      setCsrfToken(session.csrfToken);
      setAuth({ status: "authenticated", me: session.user });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setCsrfToken(null);
        setAuth({ status: "anonymous" });
      } else if (err instanceof NetworkError || (err instanceof ApiError && err.status >= 500)) {
        setAuth((a) => (a.status === "authenticated" ? a : { status: "unreachable" }));
      } else {
        setAuth({ status: "anonymous" });
      }
    }
  }, []);

  useEffect(() => {
    void loadConfig();
    void reloadSession();
  }, [loadConfig, reloadSession]);

  // Back online: find out whether we are still signed in.
  useEffect(() => {
    const onOnline = () => {
      if (auth.status === "unreachable") void reloadSession();
      if (configState.status === "failed") void loadConfig();
    };
    window.addEventListener("online", onOnline);
    return () => window.removeEventListener("online", onOnline);
  }, [auth.status, configState.status, reloadSession, loadConfig]);

  const signedIn = useCallback((session: { user: Me; csrfToken: string }) => {
    setCsrfToken(session.csrfToken);
    setAuth({ status: "authenticated", me: session.user });
  }, []);

  const expired = useCallback(() => {
    setCsrfToken(null);
    setAuth({ status: "anonymous" });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post("/auth/logout", undefined, { timeoutMs: 10_000 });
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) {
        // Stale CSRF token (the session was renewed in another tab): fetch the current one, try again.
        try {
          const session = await api.get<{ csrfToken: string }>("/auth/session", { timeoutMs: 10_000 });
          setCsrfToken(session.csrfToken);
          await api.post("/auth/logout", undefined, { timeoutMs: 10_000 });
        } catch {
          // Give up: the cookie lapses on its own.
        }
      }
      // Offline or already expired: the cookie will lapse on its own; forget the session here anyway.
    }
    setCsrfToken(null);
    setAuth({ status: "anonymous" });
    // Signed in through an identity provider: end its session too (it comes back to /connexion).
    try {
      const { url } = await api.get<{ url: string | null }>("/auth/oidc/end-session", { timeoutMs: 10_000 });
      if (url) window.location.assign(url);
    } catch {
      // Offline: the provider's session lapses on its own.
    }
  }, []);

  const value = useMemo<AppContextValue | null>(
    () =>
      configState.status === "ready"
        ? { config: configState.config, auth, signedIn, expired, signOut, reloadSession }
        : null,
    [configState, auth, signedIn, expired, signOut, reloadSession],
  );

  if (configState.status === "failed") {
    return fallback(() => {
      setConfigState({ status: "loading" });
      void loadConfig();
      void reloadSession();
    });
  }
  if (!value) return null;
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

export function useApp(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error("useApp outside AppProvider");
  return ctx;
}

/** The signed-in user; only for pages rendered behind RequireAuth. */
export function useMe(): Me {
  const { auth } = useApp();
  if (auth.status !== "authenticated") throw new Error("useMe without a session");
  return auth.me;
}
