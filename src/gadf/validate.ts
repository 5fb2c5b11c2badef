/**
 * `hearc validate`: checks a data store against GADF 0.3 — indexes that name missing
 * files or HDUs, required EVENTS columns and keywords, units, time keywords, GTIs
 * inside TSTART/TSTOP, IRF tables with the columns their class needs.
 */
import { type HduSummary, scanHdus } from '../fits/index.js';
import type { Header } from '../fits/index.js';
import {
  type DataStore,
  type ObservationEntry,
  openDataStores,
  type StoreProblem,
} from './datastore.js';
import { loadObservation } from './observation.js';

export interface ValidationReport {
  readonly root: string;
  readonly observations: number;
  readonly problems: readonly StoreProblem[];
  readonly errors: number;
  readonly warnings: number;
}

const EVENT_COLUMNS: readonly (readonly [name: string, units: readonly string[]])[] = [
  ['EVENT_ID', []],
  ['TIME', ['s']],
  ['RA', ['deg']],
  ['DEC', ['deg']],
  ['ENERGY', ['TeV', 'GeV', 'MeV', 'keV', 'eV', 'PeV']],
];

/** Keywords whose absence makes the file unusable for us or for gammapy. */
const REQUIRED_EVENT_KEYWORDS = [
  'OBS_ID',
  'TSTART',
  'TSTOP',
  'ONTIME',
  'LIVETIME',
  'DEADC',
  'OBS_MODE',
  'MJDREFI',
  'MJDREFF',
  'TIMESYS',
  'TELESCOP',
  'INSTRUME',
];
/** Keywords GADF requires but that readers can do without. */
const EXPECTED_EVENT_KEYWORDS = [
  'HDUCLASS',
  'HDUDOC',
  'HDUVERS',
  'HDUCLAS1',
  'ORIGIN',
  'CREATOR',
  'OBJECT',
  'DATE-OBS',
  'DATE-END',
  'TIMEUNIT',
  'TIMEREF',
  'EQUINOX',
  'RADECSYS',
  'TELAPSE',
  'OBSERVER',
];

const IRF_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  aeff_2d: ['ENERG_LO', 'ENERG_HI', 'THETA_LO', 'THETA_HI', 'EFFAREA'],
  edisp_2d: ['ENERG_LO', 'ENERG_HI', 'MIGRA_LO', 'MIGRA_HI', 'THETA_LO', 'THETA_HI', 'MATRIX'],
  psf_table: ['ENERG_LO', 'ENERG_HI', 'THETA_LO', 'THETA_HI', 'RAD_LO', 'RAD_HI', 'RPSF'],
  psf_3gauss: [
    'ENERG_LO',
    'ENERG_HI',
    'THETA_LO',
    'THETA_HI',
    'SIGMA_1',
    'SIGMA_2',
    'SIGMA_3',
    'SCALE',
    'AMPL_2',
    'AMPL_3',
  ],
  psf_king: ['ENERG_LO', 'ENERG_HI', 'THETA_LO', 'THETA_HI', 'GAMMA', 'SIGMA'],
  bkg_2d: ['ENERG_LO', 'ENERG_HI', 'THETA_LO', 'THETA_HI', 'BKG'],
  bkg_3d: ['DETX_LO', 'DETX_HI', 'DETY_LO', 'DETY_HI', 'ENERG_LO', 'ENERG_HI', 'BKG'],
  rad_max_2d: ['ENERG_LO', 'ENERG_HI', 'THETA_LO', 'THETA_HI', 'RAD_MAX'],
};

/** Column name → unit (TUNITn) of a table HDU. */
function tableColumns(header: Header): Map<string, string> {
  const columns = new Map<string, string>();
  const fields = header.getInteger('TFIELDS') ?? 0;
  for (let i = 1; i <= fields; i++) {
    const name = header.getString(`TTYPE${i}`);
    if (name) columns.set(name.trim().toUpperCase(), (header.getString(`TUNIT${i}`) ?? '').trim());
  }
  return columns;
}

/** What validate says of an EVENTS header (ingest summarises the same findings). */
export function checkEventsHeader(
  header: Header,
  where: string,
  obsId: string,
  hasPointingHdu: boolean,
): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const add = (severity: StoreProblem['severity'], message: string): void => {
    problems.push({ severity, path: where, obsId, message });
  };
  const columns = tableColumns(header);
  for (const [name, units] of EVENT_COLUMNS) {
    const unit = columns.get(name);
    if (unit === undefined) add('error', `EVENTS has no ${name} column (required by GADF)`);
    else if (units.length > 0 && !units.includes(unit)) {
      add(
        unit === '' ? 'warning' : 'error',
        `EVENTS column ${name} has unit '${unit}', expected ${units.join(' or ')}`,
      );
    }
  }
  for (const keyword of REQUIRED_EVENT_KEYWORDS) {
    if (!header.has(keyword))
      add('error', `EVENTS header has no ${keyword} keyword (required by GADF)`);
  }
  if (!hasPointingHdu) {
    for (const keyword of ['RA_PNT', 'DEC_PNT']) {
      if (!header.has(keyword))
        add('error', `EVENTS header has no ${keyword} and there is no POINTING HDU`);
    }
  }
  for (const keyword of EXPECTED_EVENT_KEYWORDS) {
    if (!header.has(keyword))
      add('warning', `EVENTS header has no ${keyword} keyword (GADF mandatory keyword)`);
  }
  const timeUnit = header.getString('TIMEUNIT')?.trim();
  if (timeUnit !== undefined && timeUnit !== 's')
    add('error', `TIMEUNIT is '${timeUnit}', expected 's'`);
  const timesys = header.getString('TIMESYS')?.trim().toUpperCase();
  if (timesys !== undefined && !['TT', 'UTC', 'TAI', 'TDT'].includes(timesys)) {
    add('error', `TIMESYS '${timesys}' is not a time scale hearc can convert (TT, UTC, TAI)`);
  }
  const tstart = header.has('TSTART') ? header.getNumber('TSTART') : undefined;
  const tstop = header.has('TSTOP') ? header.getNumber('TSTOP') : undefined;
  if (tstart !== undefined && tstop !== undefined && tstop < tstart)
    add('error', `TSTOP (${tstop}) is before TSTART (${tstart})`);
  const deadc = header.has('DEADC') ? header.getNumber('DEADC') : undefined;
  if (deadc !== undefined && (deadc < 0 || deadc > 1))
    add('error', `DEADC ${deadc} is outside [0, 1]`);
  return problems;
}

function checkIrfHdu(
  hduClass: string,
  header: Header,
  where: string,
  obsId: string,
): StoreProblem[] {
  const required = IRF_COLUMNS[hduClass];
  if (!required) {
    return [
      { severity: 'warning', path: where, obsId, message: `unknown IRF class '${hduClass}'` },
    ];
  }
  const columns = tableColumns(header);
  return required
    .filter((name) => !columns.has(name))
    .map((name) => ({
      severity: 'error' as const,
      path: where,
      obsId,
      message: `${hduClass} table has no ${name} column`,
    }));
}

async function checkObservation(
  entry: ObservationEntry,
  scans: Map<string, HduSummary[] | Error>,
): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  const { obsId } = entry;
  if (!entry.hdus.some((h) => h.type === 'events')) {
    problems.push({ severity: 'error', obsId, message: `observation ${obsId} has no events HDU` });
  }
  if (!entry.hdus.some((h) => h.type === 'gti')) {
    problems.push({ severity: 'warning', obsId, message: `observation ${obsId} has no GTI HDU` });
  }
  let usable = problems.every((p) => p.severity !== 'error');
  for (const hdu of entry.hdus) {
    let scan = scans.get(hdu.path);
    if (!scan) {
      scan = await scanHdus(hdu.path).catch((err: unknown) =>
        err instanceof Error ? err : new Error(String(err)),
      );
      scans.set(hdu.path, scan);
    }
    const where = `${hdu.relativePath}[${hdu.hduName}]`;
    if (scan instanceof Error) {
      const missing = /ENOENT|no such file/i.test(scan.message);
      problems.push({
        severity: 'error',
        path: hdu.relativePath,
        obsId,
        message: missing
          ? `file does not exist (named by the index for ${hdu.type})`
          : scan.message,
      });
      usable = false;
      continue;
    }
    const found = scan.find((s) => s.name.toUpperCase() === hdu.hduName.toUpperCase());
    if (!found) {
      problems.push({
        severity: 'error',
        path: hdu.relativePath,
        obsId,
        message: `has no HDU named '${hdu.hduName}' (named by the index for ${hdu.type})`,
      });
      usable = false;
      continue;
    }
    if (hdu.type === 'events') {
      const eventProblems = checkEventsHeader(
        found.header,
        where,
        obsId,
        entry.hdus.some((h) => h.type === 'pointing'),
      );
      if (eventProblems.some((p) => p.severity === 'error')) usable = false;
      problems.push(...eventProblems);
    } else if (!['gti', 'pointing'].includes(hdu.type)) {
      problems.push(...checkIrfHdu(hdu.hduClass, found.header, where, obsId));
    }
  }
  if (usable) {
    try {
      const obs = await loadObservation(entry);
      const tolerance = 1e-3;
      for (const [start, stop] of obs.gtis) {
        if (start < obs.tstart - tolerance || stop > obs.tstop + tolerance || stop < start) {
          problems.push({
            severity: 'error',
            obsId,
            path: obs.events.relativePath,
            message: `GTI [${start}, ${stop}] is not inside TSTART/TSTOP [${obs.tstart}, ${obs.tstop}]`,
          });
        }
      }
      const gtiSum = obs.gtis.reduce((sum, [a, b]) => sum + (b - a), 0);
      if (Math.abs(gtiSum - obs.ontime) > Math.max(1, 0.01 * obs.ontime)) {
        problems.push({
          severity: 'warning',
          obsId,
          path: obs.events.relativePath,
          message: `ONTIME ${obs.ontime} s differs from the sum of the GTIs (${gtiSum.toFixed(3)} s)`,
        });
      }
      if (obs.eventCount === 0)
        problems.push({
          severity: 'warning',
          obsId,
          path: obs.events.relativePath,
          message: 'event list is empty',
        });
    } catch (err) {
      problems.push({
        severity: 'error',
        obsId,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return problems;
}

export async function validateStore(store: DataStore): Promise<ValidationReport> {
  const problems: StoreProblem[] = [...store.problems];
  const where = store.hduIndexPath ?? store.root;
  if (!store.hduIndexPath) {
    problems.push({
      severity: 'warning',
      path: store.root,
      message: 'no hdu-index found: the index was built from the event file headers',
    });
  }
  for (const missing of store.missingFiles) {
    problems.push({
      severity: 'error',
      path: missing.relativePath,
      obsId: missing.obsId,
      message: `file does not exist (named by ${where} for ${missing.type})`,
    });
  }
  if (store.observations.length === 0 && store.missingFiles.length === 0) {
    problems.push({ severity: 'error', path: where, message: 'no observations found' });
  }
  const scans = new Map<string, HduSummary[] | Error>();
  for (const entry of store.observations) problems.push(...(await checkObservation(entry, scans)));
  return {
    root: store.root,
    observations: store.observations.length,
    problems,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
  };
}

/** Validates every data store under `dir`. */
export async function validateDataStore(dir: string): Promise<ValidationReport> {
  const tree = await openDataStores(dir);
  const reports = [];
  for (const store of tree.stores) reports.push(await validateStore(store));
  const problems = [...tree.problems, ...reports.flatMap((r) => r.problems)];
  return {
    root: tree.root,
    observations: reports.reduce((sum, r) => sum + r.observations, 0),
    problems,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
  };
}
