// The portal's build: `vite build src/web` writes dist/web (served by src/http/web.ts).
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the page's <base> (set by the server) places them under any prefix.
  base: './',
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // Aladin Lite (WebAssembly inside) is one 2.4 MB chunk, loaded only when a sky view starts.
    chunkSizeWarningLimit: 2500,
  },
});
