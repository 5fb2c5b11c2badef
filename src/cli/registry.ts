/** `hearc registry show`: the VOResource records the publishing registry (/oai) serves. */
import { closedObservations } from '../auth/index.js';
import { openEngine } from '../engine/index.js';
import { capabilityOptionsFor, jobTimeLimitsOf, tapLimitsOf } from '../http/server.js';
import type { Engine } from '../engine/types.js';
import { catalogTables, servedCatalog } from '../ingest/catalog.js';
import { harvestRegistry, RegistryRecordError, ResourcePublisher } from '../registry/index.js';
import type { ServiceDescription } from '../service/index.js';
import { servedSchema } from '../tap/tap-schema.js';
import { type Command, type CommandIo, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';

/**
 * The records of the catalog as `hearc serve` publishes them with this description's
 * limits. `closedLeftOut`: coverage without the observations not open to everyone, for rr
 * rows written outside a server, which cannot know whether it hides proprietary metadata.
 */
export function publisherFor(
  engine: Engine,
  service: ServiceDescription,
  options: { closedLeftOut?: boolean } = {},
): ResourcePublisher {
  return new ResourcePublisher({
    service,
    engine,
    ...(options.closedLeftOut === true
      ? { hidden: () => closedObservations(engine, new Date()) }
      : {}),
    schema: servedSchema(servedCatalog),
    capabilities: capabilityOptionsFor(
      tapLimitsOf(service.limits),
      jobTimeLimitsOf(service.limits),
      service.authority,
    ),
  });
}

export const registryCommand: Command = {
  name: 'registry',
  summary:
    "print the registry records (VOResource 1.1) of the service and its collections; harvest another registry's",
  usage: `usage: hearc registry show --db CATALOG [--base-url URL] [--authority AUTH] [--config FILE]
                           [--identifier IVOID]
       hearc registry harvest OAI-URL --db CATALOG [--from DATE]

Prints the records that <base>/oai publishes, made from the service description and
the catalog: the authority, the publishing registry, the service (TAP, DataLink, SODA,
VOSI, tableset, coverage) and one record per collection, with coverage and dates that
follow the data. While 'hearc serve' owns a DuckDB catalog, the server runs this
command on it (through its admin socket).

'harvest' loads the records of another OAI-PMH publishing registry into the RegTAP
tables (rr) of the catalog, so that this service's TAP answers registry searches across
providers. Without --from it replaces everything earlier harvested from that URL; with
--from (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ) only records changed since, and records
the registry marks deleted are removed.

options:
  --db CATALOG       catalog database (required)
  --base-url URL     the service's public URL (default: public_url of the description)
  --authority AUTH   IVOA authority of the identifiers
  --identifier IVOID only this record
  --from DATE        harvest: only records changed since DATE
${serviceOptionsUsage}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...serviceOptionSpec,
      db: { type: 'string' },
      'base-url': { type: 'string' },
      authority: { type: 'string' },
      identifier: { type: 'string' },
      from: { type: 'string' },
    });
    const db = stringOption(values, 'db');
    if (positionals[0] === 'harvest') {
      if (positionals.length !== 2) throw new UsageError('give the URL of one OAI-PMH endpoint');
      if (!db) throw new UsageError('--db is required');
      return harvestInto(db, positionals[1] as string, stringOption(values, 'from'), io);
    }
    if (positionals[0] !== 'show' || positionals.length > 1) {
      throw new UsageError("give 'show' or 'harvest OAI-URL'");
    }
    if (!db) throw new UsageError('--db is required');
    const service = serviceDescriptionFrom(values);
    if (service.publicUrl === undefined) {
      throw new UsageError(
        'records need the public URL of the service: give --base-url or public_url in the description',
      );
    }
    const engine = await openEngine(db);
    try {
      await engine.ensureTables(catalogTables);
      const publisher = publisherFor(engine, service);
      const wanted = stringOption(values, 'identifier');
      const records = (await publisher.records(service.publicUrl)).filter(
        (r) => wanted === undefined || r.identifier.toLowerCase() === wanted.toLowerCase(),
      );
      if (records.length === 0) {
        const deleted = (await publisher.deletedRecords()).find(
          (d) => d.identifier.toLowerCase() === wanted?.toLowerCase(),
        );
        io.stderr(
          deleted
            ? `${deleted.identifier} is a deleted record: its collection was withdrawn at ${deleted.datestamp}\n`
            : `no record has the identifier ${wanted}\n`,
        );
        return 1;
      }
      io.stdout('<?xml version="1.0" encoding="UTF-8"?>\n');
      for (const record of records) io.stdout(record.xml);
      return 0;
    } finally {
      await engine.close();
    }
  },
};

async function harvestInto(
  db: string,
  url: string,
  from: string | undefined,
  io: CommandIo,
): Promise<number> {
  const engine = await openEngine(db);
  try {
    const report = await harvestRegistry(engine, url, from !== undefined ? { from } : {});
    io.stdout(
      `harvested ${report.records} records from ${report.endpoint} (${report.deleted} deleted, ${report.pages} answers)\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof RegistryRecordError)) throw error;
    io.stderr(`hearc registry harvest: ${error.message}\n`);
    return 1;
  } finally {
    await engine.close();
  }
}
