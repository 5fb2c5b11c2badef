/** `hearc hips build`: the counts HiPS of the public events, into the catalog's cache folder. */
import { openEngine } from '../engine/index.js';
import { buildCountsHips, DEFAULT_HIPS_ORDER, DEFAULT_SMOOTHING_DEG } from '../hips/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { cacheDirFor, preparePrivateDir } from '../service/index.js';
import { type Command, UsageError } from './command.js';
import { integerOption, parseCommandArgs, stringOption } from './options.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';

export const hipsCommand: Command = {
  name: 'hips',
  summary: 'build the counts HiPS (IVOA HiPS 1.0) of the public events, served at <base>/hips/',
  usage: `usage: hearc hips build --db CATALOG [--order K] [--smoothing DEG] [--cache-dir DIR]

Counts the events of every observation open to everyone into HEALPix cells and writes
one HiPS for the whole service (<base>/hips/service/) and one per collection
(<base>/hips/<collection>/): PNG tiles (smoothed, inferno colours) and FITS tiles
(the counts), properties, Moc.fits and Norder3/Allsky.png, into the cache folder that
'hearc serve' serves them from. Proprietary events never go in. 'hearc serve' also
builds them when they are missing or the public data changed; while it owns a DuckDB
catalog, it runs this command (through its admin socket).

options:
  --db CATALOG       catalog database (required)
  --order K          deepest HiPS order, 0 to 6 (default ${DEFAULT_HIPS_ORDER}: 512-pixel tiles of 51.5" cells)
  --smoothing DEG    Gaussian smoothing of the PNG tiles in degrees (default ${DEFAULT_SMOOTHING_DEG}; 0: none)
  --cache-dir DIR    the cache folder (default: the service description's, else beside the catalog)
${serviceOptionsUsage}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...serviceOptionSpec,
      db: { type: 'string' },
      order: { type: 'string' },
      smoothing: { type: 'string' },
      'cache-dir': { type: 'string' },
    });
    if (positionals[0] !== 'build' || positionals.length > 1) throw new UsageError("give 'build'");
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const order = integerOption(values, 'order', DEFAULT_HIPS_ORDER);
    if (order < 0 || order > 6) throw new UsageError(`--order must be 0 to 6, not ${order}`);
    const smoothingText = stringOption(values, 'smoothing');
    const smoothingDeg =
      smoothingText === undefined ? DEFAULT_SMOOTHING_DEG : Number(smoothingText);
    if (!Number.isFinite(smoothingDeg) || smoothingDeg < 0 || smoothingDeg > 5) {
      throw new UsageError(
        `--smoothing must be a number of degrees from 0 to 5, not '${smoothingText}'`,
      );
    }
    const service = serviceDescriptionFrom(values);
    const cacheDir = cacheDirFor(service, db);
    if (cacheDir === undefined) {
      throw new UsageError('an in-memory catalog has no cache folder: give --cache-dir');
    }
    const engine = await openEngine(db);
    try {
      await engine.ensureTables(catalogTables);
      const report = await buildCountsHips({
        engine,
        service,
        cacheDir: await preparePrivateDir(cacheDir),
        order,
        smoothingDeg,
      });
      for (const hips of report.hips) {
        io.stdout(
          `${hips.name}: ${hips.events} events of ${hips.observations.length} public observations, ${hips.tiles} tiles\n`,
        );
      }
      io.stdout(`built in ${(report.ms / 1000).toFixed(1)} s into ${report.dir}\n`);
      return 0;
    } finally {
      await engine.close();
    }
  },
};
