import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The API serves the built app (dist) at / with an SPA fallback and lives under /api/v1 on the
 * same origin; in development Vite forwards /api to the API on port 3000.
 */
export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { "/api": { target: "http://localhost:3000", changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // React, the router and the DSFR components make one ~160 kB (gzip) script: fine for this app.
    chunkSizeWarningLimit: 700,
  },
});
