// One script and one stylesheet with fixed names, so Django's static storage (whitenoise) hashes and serves them.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../../static/viewer",
    emptyOutDir: true,
    assetsInlineLimit: 1_000_000,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 2000, // H5Web is one bundle on purpose: one file for the static storage to hash
    rollupOptions: {
      input: "src/main.jsx",
      output: {
        inlineDynamicImports: true,
        entryFileNames: "viewer.js",
        assetFileNames: "viewer[extname]",
      },
    },
  },
});
