/**
 * Map-type IRFs, as gammapy writes them and survey instruments (HAWC-like, satellites)
 * publish them: a sky map (a WCS image, or a HEALPix binary table) of a response
 * component, its non-spatial axes in a BANDS table named by BANDSHDU, and for PSF and
 * energy-dispersion maps an exposure map `<EXTNAME>_EXPOSURE` with its own BANDS table.
 * An hdu-index names them with HDU_CLASS psf_map, psf_map_reco, edisp_map,
 * edisp_kernel_map, or map (an exposure map as aeff, a background map as bkg).
 * A component is all of these HDUs together: that is what a client must receive.
 */
import {
  BinTableHdu,
  type HduSummary,
  readColumns,
  scanFile,
  type ScannedFile,
} from '../fits/index.js';
import type { Severity, StoreProblem } from './datastore.js';
import { unitFactor } from './units.js';

/** Map IRF classes and the HDU_TYPEs each may serve. */
const MAP_IRF_CLASSES: Readonly<Record<string, readonly string[]>> = {
  psf_map: ['psf'],
  psf_map_reco: ['psf'],
  edisp_map: ['edisp'],
  edisp_kernel_map: ['edisp'],
  map: ['aeff', 'bkg', 'psf', 'edisp'],
};

export function isMapIrfClass(hduClass: string): boolean {
  return Object.hasOwn(MAP_IRF_CLASSES, hduClass.toLowerCase());
}

type AxisName = 'energy_true' | 'energy' | 'rad' | 'migra';

/** The axes (besides the two sky axes) each class must have, by class or, for `map`, by HDU_TYPE. */
const REQUIRED_AXES: Readonly<Record<string, readonly AxisName[]>> = {
  psf_map: ['rad', 'energy_true'],
  psf_map_reco: ['rad', 'energy'],
  edisp_map: ['migra', 'energy_true'],
  edisp_kernel_map: ['energy', 'energy_true'],
  'map/aeff': ['energy_true'],
  'map/bkg': ['energy'],
  'map/psf': ['rad', 'energy_true'],
  'map/edisp': ['migra', 'energy_true'],
};

/** What BUNIT each HDU_TYPE's map holds (area x time or area; per solid angle; a probability). */
const DATA_UNITS: Readonly<Record<string, { readonly test: RegExp; readonly says: string }>> = {
  aeff: { test: /^(cm2|m2|cm\^2|m\^2)( s)?$/, says: 'an exposure (cm2 s, m2 s) or an area' },
  psf: { test: /^(sr-1|1\/sr|sr\^-1|deg-2|deg\^-2)$/, says: 'per solid angle (sr-1)' },
  edisp: { test: /^(|1|MeV-1|TeV-1)$/, says: 'a probability (no unit, or per energy)' },
};

export interface MapIrf {
  readonly hduClass: string;
  readonly type: string;
  readonly hduName: string;
  readonly geometry?: 'wcs' | 'healpix';
  /** The HDUs of the component, in file order: the map, its BANDS, its exposure map and BANDS. */
  readonly hdus: readonly string[];
  /** Bytes of those HDUs. */
  readonly byteSize: number;
  /** The true (else reconstructed) energy range of the axes, TeV. */
  readonly energyLo?: number;
  readonly energyHi?: number;
  readonly problems: readonly StoreProblem[];
}

const axisOf = (column: string): string => {
  const base = column.toUpperCase().replace(/_(MIN|MAX)$/, '');
  return base === 'E' ? 'energy' : base.toLowerCase();
};

/** The map HDU `name` and the HDUs that belong to it (BANDSHDU, `<name>_EXPOSURE` and its BANDSHDU). */
export function mapIrfHdus(hdus: readonly HduSummary[], name: string): HduSummary[] {
  const byName = (n: string | undefined): HduSummary | undefined =>
    n === undefined ? undefined : hdus.find((h) => h.name.toUpperCase() === n.trim().toUpperCase());
  const found: HduSummary[] = [];
  const add = (hdu: HduSummary | undefined): void => {
    if (!hdu || found.includes(hdu)) return;
    found.push(hdu);
    add(byName(hdu.header.getString('BANDSHDU') ?? undefined));
  };
  add(byName(name));
  if (found.length > 0) add(byName(`${name}_EXPOSURE`));
  return found.sort((a, b) => a.index - b.index);
}

/**
 * A `keep` for one pass of scanFile that keeps the BANDS tables (small) the headers
 * read so far name: the maps themselves are described by their headers.
 */
export function bandsTables(): (h: HduSummary) => boolean {
  const bandNames = new Set<string>();
  return (h) => {
    const bands = h.header.getString('BANDSHDU')?.trim().toUpperCase();
    if (bands) bandNames.add(bands);
    return h.kind === 'bintable' && bandNames.has(h.name.toUpperCase());
  };
}

/** One pass over a file of map IRFs, with the BANDS tables kept: what readMapIrf reads. */
export function scanMapIrfFile(path: string): Promise<ScannedFile> {
  return scanFile(path, { keep: bandsTables() });
}

/**
 * Reads and checks one map IRF of a file `scan` (which kept its BANDS tables, see
 * bandsTables): the map HDU is a WCS image or a HEALPix table, its BANDS table gives
 * the axes its class needs with units of the right kind, the channels agree with the
 * map's shape, and BUNIT is of the right kind.
 */
export function readMapIrf(
  scan: ScannedFile,
  path: string,
  hduName: string,
  hduClass: string,
  type: string,
  where: string,
  obsId?: string,
): MapIrf {
  const problems: StoreProblem[] = [];
  const add = (severity: Severity, message: string): void => {
    problems.push({ severity, path: where, ...(obsId !== undefined ? { obsId } : {}), message });
  };
  const cls = hduClass.toLowerCase();
  const hdus = mapIrfHdus(scan.hdus, hduName);
  const base = { hduClass: cls, type, hduName };
  const map = hdus.find((h) => h.name.toUpperCase() === hduName.trim().toUpperCase());
  if (!map) {
    add('error', `has no HDU named '${hduName}' (named by the index for ${type})`);
    return { ...base, hdus: [], byteSize: 0, problems };
  }
  const served = MAP_IRF_CLASSES[cls] ?? [];
  if (!served.includes(type)) {
    add('error', `HDU_CLASS ${cls} is not a ${type} map (it serves ${served.join(', ')})`);
  }
  const header = map.header;
  const healpix = header.getString('PIXTYPE')?.trim().toUpperCase() === 'HEALPIX';
  const geometry = healpix ? 'healpix' : map.kind === 'image' ? 'wcs' : undefined;
  let channels: number | undefined;
  if (geometry === 'wcs') {
    const naxis = header.getInteger('NAXIS') ?? 0;
    if (naxis < 2 || !header.getString('CTYPE1') || !header.getString('CTYPE2'))
      add('error', `${cls} HDU '${hduName}' is an image without two WCS sky axes (CTYPE1/CTYPE2)`);
    channels = 1;
    for (let i = 3; i <= naxis; i++) channels *= header.getInteger(`NAXIS${i}`) ?? 1;
  } else if (geometry === 'healpix') {
    const nside = header.getInteger('NSIDE');
    const order = header.getInteger('ORDER');
    if (nside === undefined && order === undefined)
      add('error', `${cls} HDU '${hduName}' is a HEALPix map without NSIDE or ORDER`);
    const columns = readColumns(header, { file: path, hdu: hduName });
    channels = columns.filter((c) => /^CHANNEL\d+$/i.test(c.name)).length || undefined;
  } else {
    add(
      'error',
      `${cls} HDU '${hduName}' is neither a WCS image nor a HEALPix table (PIXTYPE='HEALPIX')`,
    );
  }

  const bunit = header.getString('BUNIT')?.trim() ?? '';
  const expected = DATA_UNITS[type];
  if (expected && !expected.test.test(bunit))
    add('warning', `${cls} HDU '${hduName}' has BUNIT '${bunit}', expected ${expected.says}`);

  // The axes, from the BANDS table.
  const required = REQUIRED_AXES[cls] ?? REQUIRED_AXES[`${cls}/${type}`] ?? [];
  const bandsName = header.getString('BANDSHDU')?.trim();
  const bands = bandsName
    ? scan.hdus.find((h) => h.name.toUpperCase() === bandsName.toUpperCase())
    : undefined;
  const table = bands ? scan.kept.get(bands.index) : undefined;
  let energyLo: number | undefined;
  let energyHi: number | undefined;
  if (!(table instanceof BinTableHdu)) {
    if (required.length > 0) {
      add(
        'error',
        bandsName
          ? `${cls} HDU '${hduName}' names BANDSHDU '${bandsName}', which is not a table of the file`
          : `${cls} HDU '${hduName}' has no BANDSHDU: its ${required.join(' and ')} axes are not described`,
      );
    }
  } else {
    const axes = new Map<string, string[]>();
    for (let n = 1; table.header.has(`AXCOLS${n}`); n++) {
      const cols = (table.header.getString(`AXCOLS${n}`) ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      if (cols[0]) axes.set(axisOf(cols[0]), cols);
    }
    for (const axis of required) {
      if (!axes.has(axis))
        add('error', `${cls} table '${bandsName}' has no ${axis} axis (AXCOLSn)`);
    }
    for (const [axis, cols] of axes) {
      for (const col of cols) {
        const column = table.columns.find((c) => c.name.toUpperCase() === col.toUpperCase());
        if (!column) {
          add('error', `${cls} table '${bandsName}' names column ${col} in AXCOLS but has none`);
          continue;
        }
        const unit = column.unit?.trim() ?? '';
        const bad =
          axis === 'rad'
            ? unitFactor('angle', unit) === undefined
            : axis.startsWith('energy')
              ? unitFactor('energy', unit) === undefined
              : axis === 'migra' && unit !== '';
        if (bad)
          add(
            'error',
            `${cls} table '${bandsName}' column ${col} has unit '${unit}', not a unit of ${axis === 'rad' ? 'angle' : axis === 'migra' ? 'migration (none)' : 'energy'}`,
          );
      }
    }
    if (channels !== undefined && table.rowCount !== channels)
      add(
        'error',
        `${cls} table '${bandsName}' has ${table.rowCount} rows, the map '${hduName}' ${channels} channels`,
      );
    const energyCols = axes.get('energy_true') ?? axes.get('energy');
    if (energyCols && !problems.some((p) => p.severity === 'error')) {
      const [lo, hi = lo] = energyCols as [string, string?];
      const unitOf = (c: string) =>
        unitFactor(
          'energy',
          table.columns.find((x) => x.name.toUpperCase() === c.toUpperCase())?.unit?.trim() ?? '',
        ) ?? 1;
      const values = (c: string): number[] =>
        Array.from(table.readRows(0, table.rowCount, [c]).column(c).values as ArrayLike<number>);
      energyLo = Math.min(...values(lo)) * unitOf(lo);
      energyHi = Math.max(...values(hi)) * unitOf(hi);
    }
  }
  return {
    ...base,
    ...(geometry ? { geometry } : {}),
    hdus: hdus.map((h) => h.name),
    byteSize: hdus.reduce((sum, h) => sum + h.hduByteLength, 0),
    ...(energyLo !== undefined ? { energyLo, energyHi } : {}),
    problems,
  };
}
