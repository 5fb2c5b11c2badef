import { openEngine } from '../engine/index.js';
import { publisherFor } from './registry.js';
import { type IngestReport, ingestDataStore } from '../ingest/ingest.js';
import { formatEventsOrdered } from './events.js';
import { formatObscoreOrdered } from './obscore.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';
import { publishConfigFrom, publishOptionSpec, publishOptionsUsage } from './publish-options.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';

/** How many observations ingest published (added, updated or already there). */
function publishedCount(report: IngestReport): number {
  return report.added.length + report.updated.length + report.unchanged.length;
}

/** Exit status of an ingest: 1 when anything failed or nothing at all is published. */
export function ingestExitCode(report: IngestReport): number {
  return report.failed.length > 0 || publishedCount(report) === 0 ? 1 : 0;
}

/** Why nothing is published, in words a user can act on. */
function nothingPublished(report: IngestReport): string {
  const listed = report.stores.reduce((n, s) => n + s.missingFiles.length, 0);
  if (report.observations.length === 0 && listed === 0) {
    return `no event list found under ${report.root}: hearc publishes GADF/VODF event lists (an hdu-index naming EVENTS HDUs, or FITS files with an EVENTS table and an integer OBS_ID)`;
  }
  return 'every observation was skipped or failed (see above)';
}

/** The ingest report for people: one line per store and per observation, then the findings and a summary. */
export function formatIngestReport(report: IngestReport): string {
  const lines = [`data store: ${report.root}`];
  for (const s of report.stores) {
    const from = s.index ?? 'event file headers (no hdu-index)';
    const format = `, ${s.formatVersion ?? 'format not stated'}`;
    lines.push(`store ${from}${format}: collection ${s.collection}`);
  }
  for (const o of report.observations) {
    const what = `${o.collection} ${o.obsId}${o.path ? ` (${o.path})` : ''}`;
    if (o.status === 'skipped' || o.status === 'failed') {
      lines.push(
        `${o.status === 'failed' ? 'error' : 'skipped'}: observation ${what}: ${o.reason ?? ''}`,
      );
    } else {
      lines.push(
        `${o.status === 'unchanged' ? 'unchanged' : 'published'}: ${what}${o.status === 'updated' ? ' (updated)' : ''}${o.formatVersion ? ` [${o.formatVersion}]` : ''}`,
      );
    }
    for (const note of o.notes ?? []) lines.push(`  note: ${note}`);
  }
  // Failures of files and index rows that belong to no observation read.
  const readFailures = new Set(
    report.observations.filter((o) => o.status === 'failed').map((o) => o.reason),
  );
  for (const f of report.failed) {
    if (readFailures.has(f.message)) continue;
    const where = [f.path, f.obsId ? `observation ${f.obsId}` : undefined]
      .filter(Boolean)
      .join(', ');
    lines.push(`error: ${where ? `${where}: ` : ''}${f.message}`);
  }
  for (const w of report.warnings) {
    const where = [w.path, w.obsId ? `observation ${w.obsId}` : undefined]
      .filter(Boolean)
      .join(', ');
    lines.push(`warning: ${where ? `${where}: ` : ''}${w.message}`);
  }
  for (const v of report.validation) {
    lines.push(
      `validate would ${v.severity === 'error' ? 'report an error' : 'warn'} on ${v.observations} observation(s): ${v.message}`,
    );
  }
  lines.push(
    `added ${report.added.length}, updated ${report.updated.length}, unchanged ${report.unchanged.length}, skipped ${report.skipped.length}, failed ${report.failed.length}`,
  );
  if (publishedCount(report) === 0)
    lines.push(`error: nothing was published: ${nothingPublished(report)}`);
  return `${lines.join('\n')}\n`;
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'publish a GADF/VODF data store into the catalog (ObsCore + HE extension)',
  usage: `usage: hearc ingest DIR --db CATALOG [options]

Reads the data store in DIR (its hdu-index and obs-index, or the event files'
headers when it has none) and writes ivoa.obscore, ivoa.obscore_hea and hearc.irf
rows into CATALOG (a DuckDB file, or a postgres:// URL) in one transaction.
Every hdu-index table under DIR is a store of its own: with several (one per
instrument, reconstruction or event class) each is published in the collection
<collection>-<store name>. Prints one line per store and per observation
(published, unchanged, skipped, error with the reason), what validate would say,
and a summary. Unchanged observations are not read again; entries whose event
file is missing are skipped; broken ones are reported and the others are still
published. Exit code 1 when anything failed or nothing could be published.
On DuckDB, once the events appended since hearc.events was last rewritten in HEALPix
cell order have doubled it, ingest rewrites it after its own transaction (see 'hearc
events --help').

options:
  --db CATALOG          catalog database (required)
  --json                print the report as JSON
${serviceOptionsUsage}${publishOptionsUsage}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      json: { type: 'boolean' },
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
      // The registry's RegTAP rows follow the catalog: rewritten with the new coverage.
      await publisherFor(engine, service, { closedLeftOut: true }).publishRegtap();
      io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatIngestReport(report));
      if (!values.json && report.eventsOrdered)
        io.stdout(formatEventsOrdered(report.eventsOrdered));
      if (!values.json && report.obscoreOrdered)
        io.stdout(formatObscoreOrdered(report.obscoreOrdered));
      if (!values.json && report.statisticsFailed !== undefined) {
        io.stdout(
          `note: the published tables are ingested, but their statistics were not brought up to date (${report.statisticsFailed}): run VACUUM ANALYZE on them\n`,
        );
      }
      return ingestExitCode(report);
    } finally {
      await engine.close();
    }
  },
};
