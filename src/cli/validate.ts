import { GadfError, validateDataStore } from '../gadf/index.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs } from './options.js';

export const validateCommand: Command = {
  name: 'validate',
  summary:
    'check a data store or a FITS file against GADF 0.2/0.3 or the VODF draft (exit 1 on errors)',
  usage: `usage: hearc validate PATH [--json]

Checks every data store under the folder PATH (each hdu-index table, with its
obs-index), and the IRF files no index names; or, when PATH is a FITS file, that
file alone. Follows GADF 0.3 class by class: what the spec makes mandatory and is
needed to read the data (EVENTS columns, OBS_ID, TSTART/TSTOP, the time reference,
the pointing of pointed observations) is an error; mandatory metadata (ORIGIN,
CREATOR, HDUCLASn, TIMEREF, ...) is a warning; optional keywords (OBS_MODE,
OBSERVER, TELAPSE, OBJECT, ...) are not reported. Also: index entries naming
missing files or HDUs, units, GTIs inside TSTART/TSTOP, and each IRF's classes,
axes (LO/HI pairs, units, order) and data sizes (AEFF, EDISP, PSF_TABLE,
PSF_3GAUSS, PSF_KING, BKG_2D, BKG_3D, RAD_MAX).

Says which format each store follows (GADF 0.2, GADF 0.3, the VODF draft, by
HDUCLASS/HDUDOC/HDUVERS), and each file whose format differs from its store's;
VODF-draft event lists are held to the draft's keywords (OBSGEO-B/L/H, TREFPOS,
DATEREF or MJDREFI/MJDREFF; no pointing keyword).

Prints one line per problem with its severity and a summary; exits 1 when there
is any error, 0 otherwise (warnings included).

options:
  --json         print the report as JSON
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
    const [path, ...extra] = positionals;
    if (!path || extra.length > 0)
      throw new UsageError('give exactly one data store folder or FITS file');
    let report;
    try {
      report = await validateDataStore(path);
    } catch (err) {
      if (!(err instanceof GadfError)) throw err;
      const message = `${err.message}: give the folder that holds the hdu-index (or the event files), or one FITS file`;
      io.stdout(
        values.json
          ? `${JSON.stringify({ root: path, error: message }, null, 2)}\n`
          : `error: ${message}\n`,
      );
      return 1;
    }
    if (values.json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const f of report.formats) {
        io.stdout(`format: ${f.kind === 'store' ? 'store ' : ''}${f.path}: ${f.format}\n`);
      }
      for (const p of report.problems) {
        const where = [p.path, p.obsId ? `obs ${p.obsId}` : undefined].filter(Boolean).join(', ');
        io.stdout(`${p.severity}: ${where ? `${where}: ` : ''}${p.message}\n`);
      }
      const standalone =
        report.standaloneFiles > 0 ? `, ${report.standaloneFiles} standalone IRF files` : '';
      const stores = report.stores > 1 ? `${report.stores} stores, ` : '';
      io.stdout(
        `${report.root}: ${stores}${report.observations} observations${standalone}, ${report.errors} errors, ${report.warnings} warnings\n`,
      );
    }
    return report.errors > 0 ? 1 : 0;
  },
};
