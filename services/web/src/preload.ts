/**
 * A second entry of index.html, loaded `async`: it runs as soon as it arrives, without waiting for the
 * stylesheets or for React. On the declaration form's address it starts fetching the form's code at once,
 * beside React's, instead of after the app has started (main.tsx then finds it loaded). Nothing else here:
 * whatever this file imports, every page would wait for.
 */
if (window.location.pathname === "/declarer") void import("./pages/DeclarePage.tsx");
