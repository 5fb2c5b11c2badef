// The portal's build: `vite build src/web` writes dist/web (served by src/http/web.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/** Extensions worth compressing; index.html is left out (the server rewrites its <base>). */
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json', '.wasm', '.txt']);

/** Where the compressed forms go, apart from the files served under their own names. */
const COMPRESSED_DIR = '.compressed';

/**
 * Writes `.compressed/<file>.br` (best brotli) and `.gz` for each built asset, once, at
 * build time: the server sends them as they are instead of compressing on start (seconds
 * for the 2.4 MB sky viewer at brotli's best quality).
 */
function precompress(): Plugin {
  return {
    name: 'hearc-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir;
      if (dir === undefined) return;
      for (const name of Object.keys(bundle)) {
        if (!COMPRESSIBLE.has(extname(name))) continue;
        const body = readFileSync(join(dir, name));
        if (body.length < 512) continue;
        const path = join(dir, COMPRESSED_DIR, name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(body, {
            params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY },
          }),
        );
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the page's <base> (set by the server) places them under any prefix.
  base: './',
  plugins: [precompress()],
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
