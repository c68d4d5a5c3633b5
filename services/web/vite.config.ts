import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text the browser fetches; fonts and images are compressed already, source maps are never fetched. */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|txt|ico|webmanifest)$/;

/**
 * Writes beside every compressible file of the build (the app's chunks and the DSFR files copied from
 * public/) a `.br` (brotli at its best quality) and a `.gz` (gzip -9), which the API serves to a
 * browser that asks for them (@fastify/static's preCompressed, services/api/src/plugins/web.ts):
 * compressed once here, at the best ratio, instead of at every request. A file under 1 KiB, or one
 * that would not shrink, is left alone.
 */
function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "pris-precompress",
    apply: "build",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files = (await readdir(outDir, { recursive: true }))
        .filter((f) => COMPRESSIBLE.test(f))
        .map((f) => path.join(outDir, f));
      await Promise.all(
        files.map(async (file) => {
          if ((await stat(file)).size < 1024) return;
          const content = await readFile(file);
          const [br, gz] = await Promise.all([
            brotli(content, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
                [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
              },
            }),
            gzipAsync(content, { level: 9 }),
          ]);
          if (br.length < content.length) await writeFile(`${file}.br`, br);
          if (gz.length < content.length) await writeFile(`${file}.gz`, gz);
        }),
      );
    },
  };
}

/**
 * The declaration form's code, fetched from the page's first moments when the page is the form: src/preload.ts
 * as an entry of its own, named in index.html by an `async` script, which the browser runs as soon as it
 * arrives (the app's entry waits for the stylesheets, then for React). Vite would merge a second script
 * of index.html into the app's entry, so the chunk is emitted here and the tag added after the build.
 */
function earlyDeclarationForm(): Plugin {
  return {
    name: "pris-early-declaration-form",
    apply: "build",
    buildStart() {
      this.emitFile({
        type: "chunk",
        id: path.resolve(import.meta.dirname, "src/preload.ts"),
        name: "preload",
      });
    },
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === "chunk" && c.isEntry && c.name === "preload",
        );
        if (!chunk) throw new Error("the preload entry is missing from the bundle");
        return [
          {
            tag: "script",
            attrs: { type: "module", async: true, crossorigin: true, src: `/${chunk.fileName}` },
            injectTo: "head-prepend",
          },
        ];
      },
    },
  };
}

/**
 * The API serves the built app (dist) at / with an SPA fallback and lives under /api/v1 on the
 * same origin; in development Vite forwards /api to the API on port 3000.
 */
export default defineConfig({
  plugins: [react(), earlyDeclarationForm(), precompress()],
  server: {
    port: 5173,
    proxy: { "/api": { target: "http://localhost:3000", changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // React and the router, which every page needs and which change only with their versions: one
            // chunk that a browser keeps across the app's releases. The DSFR's components stay with the
            // pages that use them (a group would bring them all to the first load).
            { name: "react", test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/ },
          ],
        },
      },
    },
  },
});
