import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openEngine } from '../engine/index.js';
import { ingestDataStore } from '../ingest/ingest.js';
import { simulateDataStore } from '../sim/simulate.js';
import type { Command } from './command.js';
import { formatIngestReport } from './ingest.js';
import { parseCommandArgs, stringOption } from './options.js';
import { serveCatalog, serveOptionSpec, serveSettingsFrom } from './serve.js';

const DEMO_SEED = 20261124;
const DEMO_OBSERVATIONS = 24;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'simulate a demo data store (first run), ingest it into DuckDB and serve it',
  usage: `usage: hearc demo [--dir DIR] [--host HOST] [--port PORT]

What 'npm start' runs. On first run, writes a simulated data store to DIR/store
(deterministic seed), ingests it into the embedded catalog DIR/catalog.duckdb,
then serves it. Later runs reuse both.

options:
  --dir DIR        working folder (default ./var/demo)
  --host, --port   as for 'hearc serve' (default 127.0.0.1:8080)
`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { dir: { type: 'string' }, ...serveOptionSpec },
      false,
    );
    const dir = resolve(stringOption(values, 'dir') ?? 'var/demo');
    const storeDir = join(dir, 'store');
    const settings = serveSettingsFrom(values);
    if (!existsSync(join(storeDir, 'hdu-index.fits.gz'))) {
      io.stderr(`hearc: simulating a demo data store in ${storeDir}\n`);
      await simulateDataStore({
        outDir: storeDir,
        observations: DEMO_OBSERVATIONS,
        seed: DEMO_SEED,
      });
    }
    const engine = await openEngine(join(dir, 'catalog.duckdb'));
    const report = await ingestDataStore(
      engine,
      storeDir,
      {
        authority: settings.service.authority,
        collection: 'hearc-demo',
        accessMode: 'datalink',
        dataRights: 'public',
      },
      { service: settings.service },
    );
    io.stderr(formatIngestReport(report));
    return serveCatalog(engine, settings, io);
  },
};
