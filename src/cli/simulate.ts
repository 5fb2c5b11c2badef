import { simulateDataStore } from '../sim/simulate.js';
import { type Command, UsageError } from './command.js';
import { integerOption, parseCommandArgs, stringOption } from './options.js';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'write a synthetic GADF data store (for demos, tests and benchmarks)',
  usage: `usage: hearc simulate --out DIR [--observations N] [--events-per-obs M] [--seed S]

Writes a realistic synthetic GADF 0.3 data store: several gamma-ray targets
observed in wobble mode, events from power-law sources plus background drawn
through analytic IRFs, and the IRFs (aeff_2d, edisp_2d, psf_3gauss, bkg_2d).
Large archives (e.g. --observations 1000 --events-per-obs 100000) are written
one observation at a time, in constant memory.

options:
  --out DIR              where to write (created if missing)
  --observations N       number of observations (default 10; --obs is the same)
  --events-per-obs M     mean number of events per observation (default 6000;
                         --events is the same)
  --optional-columns     also write the GADF optional EVENTS columns ALT, AZ,
                         MULTIP and GAMMANESS
  --vodf                 the VODF draft's layout instead (GROUPING tables, no index,
                         string OBS_IDs, OBSGEO-B/L/H, no pointing keyword)
  --vodf-event-types     with --vodf: event types A, B, C split into observations
                         of their own; TIMESYS GPS with DATEREF
  --seed S               random seed (default 1); the same seed gives the same store
`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      {
        out: { type: 'string' },
        obs: { type: 'string' },
        observations: { type: 'string' },
        seed: { type: 'string' },
        events: { type: 'string' },
        'events-per-obs': { type: 'string' },
        'optional-columns': { type: 'boolean' },
        vodf: { type: 'boolean' },
        'vodf-event-types': { type: 'boolean' },
      },
      false,
    );
    const outDir = stringOption(values, 'out');
    if (!outDir) throw new UsageError('--out is required');
    const either = (long: string, short: string, fallback: number): number => {
      if (stringOption(values, long) !== undefined && stringOption(values, short) !== undefined) {
        throw new UsageError(`give --${long} or --${short}, not both`);
      }
      return stringOption(values, long) !== undefined
        ? integerOption(values, long, fallback, 1)
        : integerOption(values, short, fallback, 1);
    };
    const observations = either('observations', 'obs', 10);
    const eventsPerObservation = either('events-per-obs', 'events', 6000);
    const seed = integerOption(values, 'seed', 1, 0);
    const optionalColumns = values['optional-columns'] === true;
    const runs = await simulateDataStore({
      outDir,
      observations,
      seed,
      eventsPerObservation,
      ...(optionalColumns ? { variant: { optionalColumns } } : {}),
      ...(values.vodf === true || values['vodf-event-types'] === true
        ? { vodf: values['vodf-event-types'] === true ? { gpsTime: true } : {} }
        : {}),
      ...(values['vodf-event-types'] === true ? { eventClasses: ['A', 'B', 'C'] } : {}),
    });
    const events = runs.reduce((s, r) => s + r.eventCount, 0);
    io.stdout(`wrote ${runs.length} observations (${events} events) to ${outDir}\n`);
    return 0;
  },
};
