// Vite builds the console into CONSOLE_OUT (CMake passes build/web/dist) or
// dist/. No inline script or style in the output: the Content-Security-Policy
// inspectd sends allows only files from its own origin.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: process.env.CONSOLE_OUT ?? "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
