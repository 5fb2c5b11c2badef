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

/** Where Aladin Lite's build keeps its WebAssembly: a base64 data URL inside the script. */
const ALADIN_WASM_URL =
  /new URL\("data:application\/wasm;base64,([A-Za-z0-9+/=]+)",self\.location\)/;

/**
 * A WebAssembly module without its custom sections (id 0: function names, producers,
 * target features), which only debuggers read: 1.42 MB of Aladin Lite's 1.63 MB.
 */
export function withoutCustomSections(wasm: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at++]!;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = wasm[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    at += size;
    if (at > wasm.length) throw new Error('aladin-lite: its WebAssembly ends inside a section');
    if (id !== 0) kept.push(wasm.subarray(start, at));
  }
  return Buffer.concat(kept);
}

/**
 * Serves Aladin Lite's WebAssembly as its own file: base64 inside the script costs a third
 * more bytes and compresses badly, which put the sky view over the 500 kB first-load budget.
 */
function aladinWasmAsset(): Plugin {
  return {
    name: 'hearc-aladin-wasm',
    apply: 'build',
    transform(code, id) {
      if (!/aladin-lite[\\/]dist[\\/]aladin\.js$/.test(id)) return null;
      const found = ALADIN_WASM_URL.exec(code);
      if (found === null) throw new Error(`aladin-lite: no WebAssembly data URL in ${id}`);
      const wasm = withoutCustomSections(Buffer.from(found[1]!, 'base64'));
      const ref = this.emitFile({ type: 'asset', name: 'aladin.wasm', source: wasm });
      return {
        code: code.replace(found[0], `new URL(import.meta.ROLLUP_FILE_URL_${ref})`),
        map: null,
      };
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the page's <base> (set by the server) places them under any prefix.
  base: './',
  plugins: [aladinWasmAsset(), precompress()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // Aladin Lite is one 500 kB chunk and its wasm, loaded only when a sky view starts.
    chunkSizeWarningLimit: 1000,
  },
});
