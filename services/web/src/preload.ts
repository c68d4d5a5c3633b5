import { fetchEarly } from "./api/client.ts";

/**
 * A second entry of index.html, loaded `async`: it runs as soon as it arrives, without waiting for the
 * stylesheets or for React. It asks at once for what the app asks first (the public configuration and
 * the session, taken by session.tsx), and on the declaration form's address starts fetching the form's
 * code beside React's, instead of after the app has started (main.tsx then finds it loaded). Nothing
 * else here: whatever this file imports, every page would wait for.
 */
fetchEarly("/config/public", { timeoutMs: 15_000 });
fetchEarly("/auth/session", { timeoutMs: 15_000 });
if (window.location.pathname === "/declarer") void import("./pages/DeclarePage.tsx");
