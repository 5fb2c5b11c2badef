import { validateDataStore } from '../gadf/index.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs } from './options.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a data store against GADF 0.3 (exit 1 on errors)',
  usage: `usage: hearc validate DIR [--json]

Checks the data store in DIR: index entries that name missing files or HDUs,
required EVENTS columns and header keywords, units, time keywords, GTIs inside
TSTART/TSTOP, IRF tables with the columns their class needs. Prints one line per
problem with its severity; exits 1 when there is any error.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
    const [dir, ...extra] = positionals;
    if (!dir || extra.length > 0) throw new UsageError('give exactly one data store directory');
    const report = await validateDataStore(dir);
    if (values.json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const p of report.problems) {
        const where = [p.path, p.obsId ? `obs ${p.obsId}` : undefined].filter(Boolean).join(', ');
        io.stdout(`${p.severity}: ${where ? `${where}: ` : ''}${p.message}\n`);
      }
      io.stdout(
        `${report.root}: ${report.observations} observations, ${report.errors} errors, ${report.warnings} warnings\n`,
      );
    }
    return report.errors > 0 ? 1 : 0;
  },
};
