import { simulateDataStore } from '../sim/simulate.js';
import { type Command, UsageError } from './command.js';
import { integerOption, parseCommandArgs, stringOption } from './options.js';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'write a synthetic GADF data store (for demos, tests and benchmarks)',
  usage: `usage: hearc simulate --out DIR [--obs N] [--seed S] [--events N]

Writes a realistic synthetic GADF 0.3 data store: several gamma-ray targets
observed in wobble mode, events from power-law sources plus background drawn
through analytic IRFs, and the IRFs (aeff_2d, edisp_2d, psf_3gauss, bkg_2d).

options:
  --out DIR      where to write (created if missing)
  --obs N        number of observations (default 10)
  --seed S       random seed (default 1); the same seed gives the same store
  --events N     mean number of events per observation (default 6000)
`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      {
        out: { type: 'string' },
        obs: { type: 'string' },
        seed: { type: 'string' },
        events: { type: 'string' },
      },
      false,
    );
    const outDir = stringOption(values, 'out');
    if (!outDir) throw new UsageError('--out is required');
    const observations = integerOption(values, 'obs', 10, 1);
    const seed = integerOption(values, 'seed', 1, 0);
    const eventsPerObservation = integerOption(values, 'events', 6000, 1);
    const runs = await simulateDataStore({ outDir, observations, seed, eventsPerObservation });
    const events = runs.reduce((s, r) => s + r.eventCount, 0);
    io.stdout(`wrote ${runs.length} observations (${events} events) to ${outDir}\n`);
    return 0;
  },
};
