/**
 * CDS's MOC library (@fxpineau/moc-wasm, the reference implementation of MOC 2.0).
 * The package is built for bundlers, so in Node we instantiate its WebAssembly
 * ourselves with its JavaScript glue as the import object; once per process.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type MocLibrary = typeof import('@fxpineau/moc-wasm');
export type SpaceMoc = import('@fxpineau/moc-wasm').MOC;

// Node has WebAssembly; the project's type libraries (ES2023, node) do not declare it.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

interface Glue {
  __wbg_set_wasm(exports: unknown): void;
}

let loading: Promise<MocLibrary> | undefined;

async function load(): Promise<MocLibrary> {
  const gluePath = createRequire(import.meta.url).resolve('@fxpineau/moc-wasm/moc_bg.js');
  const glue = (await import(pathToFileURL(gluePath).href)) as MocLibrary & Glue;
  const bytes = await readFile(join(dirname(gluePath), 'moc_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './moc_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

/** The MOC library, loaded on first use. */
export function mocLibrary(): Promise<MocLibrary> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw new Error(`cannot load the MOC library (@fxpineau/moc-wasm): ${String(error)}`);
  });
  return loading;
}
