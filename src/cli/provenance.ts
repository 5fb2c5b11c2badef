/** `hearc provenance ID`: the provenance graph of a dataset or product, as a text tree or any serialisation. */
import { writeFileSync } from 'node:fs';
import { DaliError, DaliParameters } from '../dali/index.js';
import { allowEveryone } from '../datalink/index.js';
import { openEngine } from '../engine/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { ProvenanceService, servicePrefix } from '../provenance/index.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  text: 'TEXT',
  json: 'PROV-JSON',
  'prov-json': 'PROV-JSON',
  xml: 'PROV-XML',
  'prov-xml': 'PROV-XML',
  provn: 'PROV-N',
  'prov-n': 'PROV-N',
  svg: 'SVG',
};

export const provenanceCommand: Command = {
  name: 'provenance',
  summary:
    'print the provenance of a dataset or product (text tree, PROV-JSON, PROV-XML, PROV-N, SVG)',
  usage: `usage: hearc provenance ID --db CATALOG [options]

Prints what ID (a dataset's publisher DID, a product URL or path of this service, or
a provenance identifier such as /activity/ingest/COLLECTION/OBS_ID) came from
(--direction BACK) or what was made from it (--direction FORTH). The operator sees
every record; over HTTP, /provenance applies the access rights.

options:
  --db CATALOG          catalog database (required)
  --depth N|ALL         activity steps to follow (default 1)
  --direction DIR       BACK (default) or FORTH
  --format FORMAT       text (default), prov-json, prov-xml, prov-n or svg
  --output FILE         write there instead of standard output
  --base-url URL        public URL of the service, for identifiers (default: from --config)
${serviceOptionsUsage}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      depth: { type: 'string' },
      direction: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      'base-url': { type: 'string' },
      ...serviceOptionSpec,
    });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError('give exactly one ID');
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const formatName = (stringOption(values, 'format') ?? 'text').toLowerCase();
    const format = FORMAT_NAMES[formatName];
    if (!format) {
      throw new UsageError(
        `--format must be text, prov-json, prov-xml, prov-n or svg, not '${formatName}'`,
      );
    }
    const service = serviceDescriptionFrom(values);
    const naming = {
      baseUrl: (service.publicUrl ?? 'http://localhost:8080').replace(/\/+$/, ''),
      prefix: servicePrefix(service.shortName),
    };
    const params = new DaliParameters([
      ['ID', id],
      ['DEPTH', stringOption(values, 'depth') ?? '1'],
      ['DIRECTION', stringOption(values, 'direction') ?? 'BACK'],
      ['RESPONSEFORMAT', format],
    ]);
    const engine = await openEngine(db);
    try {
      await engine.ensureTables(catalogTables);
      const provenance = new ProvenanceService({
        engine,
        authorize: allowEveryone,
        unrestricted: true,
      });
      const answer = await provenance.answer(params, { headers: {} }, naming);
      const output = stringOption(values, 'output');
      if (output !== undefined) writeFileSync(output, answer.body);
      else io.stdout(answer.body);
      return 0;
    } catch (error) {
      if (!(error instanceof DaliError)) throw error;
      const message = error.message.replace(/^\w+Fault: /, '');
      if (error.status === 400) throw new UsageError(message);
      io.stderr(`hearc provenance: ${message}\n`);
      return 1;
    } finally {
      await engine.close();
    }
  },
};
