import { openEngine } from '../engine/index.js';
import { type IngestReport, ingestDataStore } from '../ingest/ingest.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';
import { publishConfigFrom, publishOptionSpec, publishOptionsUsage } from './publish-options.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';

export function formatIngestReport(report: IngestReport): string {
  const lines = [
    `data store: ${report.root}`,
    `added ${report.added.length}, updated ${report.updated.length}, unchanged ${report.unchanged.length}, failed ${report.failed.length}`,
  ];
  for (const f of report.failed) {
    lines.push(`error: ${f.obsId ? `observation ${f.obsId}: ` : ''}${f.message}`);
  }
  for (const w of report.warnings)
    lines.push(`warning: ${w.obsId ? `observation ${w.obsId}: ` : ''}${w.message}`);
  return `${lines.join('\n')}\n`;
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'publish a GADF/VODF data store into the catalog (ObsCore + HE extension)',
  usage: `usage: hearc ingest DIR --db CATALOG [options]

Reads the data store in DIR (its hdu-index and obs-index, or the event files'
headers when it has none) and writes ivoa.obscore, ivoa.obscore_hea and hearc.irf
rows into CATALOG (a DuckDB file, or a postgres:// URL) in one transaction.
Unchanged observations are skipped; broken ones are reported (exit code 1) and
the others are still published.

options:
  --db CATALOG          catalog database (required)
${serviceOptionsUsage}${publishOptionsUsage}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      ...serviceOptionSpec,
      ...publishOptionSpec,
    });
    const [dir, ...extra] = positionals;
    if (!dir || extra.length > 0) throw new UsageError('give exactly one data store directory');
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const notes: string[] = [];
    const service = serviceDescriptionFrom(values);
    const config = publishConfigFrom(values, dir, service, notes);
    for (const note of notes) io.stdout(`note: ${note}\n`);
    const engine = await openEngine(db);
    try {
      const report = await ingestDataStore(engine, dir, config, { service });
      io.stdout(formatIngestReport(report));
      return report.failed.length > 0 ? 1 : 0;
    } finally {
      await engine.close();
    }
  },
};
