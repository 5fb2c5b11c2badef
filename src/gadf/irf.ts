/**
 * The IRF tables of a GADF store read whole, for the analyses: aeff_2d, edisp_2d,
 * psf_table, psf_3gauss, psf_king, bkg_2d and bkg_3d, each as its binned axes (TeV, deg)
 * and its values (or, for the parametric PSFs, each parameter) in a plain C-ordered
 * array over the axes in the order gammapy 1.0 uses (energy first).
 * The array layout follows gammapy's reader, so that results agree with it: the
 * stored column is read in TDIM order (fastest first), and a background whose TDIM
 * runs the other way round (HESS, CTA 1DC) is turned about.
 */
import { BinTableHdu, type Hdu, type Header, scanFile } from '../fits/index.js';
import { GadfError } from './errors.js';
import { unitFactor } from './units.js';

export type IrfClass =
  | 'aeff_2d'
  | 'edisp_2d'
  | 'psf_table'
  | 'psf_3gauss'
  | 'psf_king'
  | 'bkg_2d'
  | 'bkg_3d'
  | 'rad_max_2d';

export type IrfAxisName =
  'energy' | 'energy_true' | 'offset' | 'migra' | 'rad' | 'fov_lon' | 'fov_lat';

/** A binned axis: bin edges and centres in TeV (energies), deg (angles) or none (migra). */
export interface IrfAxis {
  readonly name: IrfAxisName;
  readonly edges: Float64Array;
  /**
   * Where the values are given: the bin centres (geometric for log axes), or the nodes
   * themselves when the table gives LO = HI (gammapy then makes the edges halfway between).
   */
  readonly centres: Float64Array;
  /** gammapy's interpolation scale of the axis: log for energies, lin otherwise. */
  readonly interp: 'lin' | 'log';
}

export interface IrfTable {
  readonly hduClass: IrfClass;
  readonly header: Header;
  readonly axes: readonly IrfAxis[];
  /** Values over the axes, C order (the last axis fastest); for psf_3gauss and psf_king, the first parameter. */
  readonly data: Float64Array;
  /**
   * psf_3gauss (sigma_1, sigma_2, sigma_3, scale, ampl_2, ampl_3) and psf_king (gamma,
   * sigma): each parameter over the axes, sigmas in deg (0 read as 1, as gammapy does).
   */
  readonly parameters?: ReadonlyMap<string, Float64Array>;
  /** aeff m², bkg s⁻¹ TeV⁻¹ sr⁻¹, psf sr⁻¹, edisp none (converted on read). */
  readonly unit: string;
  /** bkg_3d: FOVALIGN (RADEC when absent, as gammapy reads it). */
  readonly fovAlignment?: 'RADEC' | 'ALTAZ';
  /** Where it came from, for messages. */
  readonly where: string;
}

interface ClassLayout {
  /** Axes in gammapy's order: name, column stem, quantity. */
  readonly axes: readonly (readonly [IrfAxisName, string])[];
  readonly column: readonly string[];
  readonly unit: string;
  /** Parametric classes: gammapy's parameter name and its column. */
  readonly parameters?: readonly (readonly [string, string])[];
}

const ENERGY_OFFSET: ClassLayout['axes'] = [
  ['energy_true', 'ENERG'],
  ['offset', 'THETA'],
];

const LAYOUTS: Readonly<Record<IrfClass, ClassLayout>> = {
  aeff_2d: {
    axes: ENERGY_OFFSET,
    column: ['EFFAREA'],
    unit: 'm2',
  },
  edisp_2d: {
    axes: [
      ['energy_true', 'ENERG'],
      ['migra', 'MIGRA'],
      ['offset', 'THETA'],
    ],
    column: ['MATRIX'],
    unit: '',
  },
  psf_table: {
    axes: [
      ['energy_true', 'ENERG'],
      ['offset', 'THETA'],
      ['rad', 'RAD'],
    ],
    column: ['RPSF'],
    unit: 'sr-1',
  },
  psf_3gauss: {
    axes: ENERGY_OFFSET,
    column: ['SIGMA_1'],
    unit: '',
    parameters: [
      ['sigma_1', 'SIGMA_1'],
      ['sigma_2', 'SIGMA_2'],
      ['sigma_3', 'SIGMA_3'],
      ['scale', 'SCALE'],
      ['ampl_2', 'AMPL_2'],
      ['ampl_3', 'AMPL_3'],
    ],
  },
  psf_king: {
    axes: ENERGY_OFFSET,
    column: ['GAMMA'],
    unit: '',
    parameters: [
      ['gamma', 'GAMMA'],
      ['sigma', 'SIGMA'],
    ],
  },
  bkg_2d: {
    axes: [
      ['energy', 'ENERG'],
      ['offset', 'THETA'],
    ],
    column: ['BKG', 'BGD'],
    unit: 's-1 TeV-1 sr-1',
  },
  bkg_3d: {
    axes: [
      ['energy', 'ENERG'],
      ['fov_lon', 'DETX'],
      ['fov_lat', 'DETY'],
    ],
    column: ['BKG', 'BGD'],
    unit: 's-1 TeV-1 sr-1',
  },
  rad_max_2d: {
    axes: [
      ['energy', 'ENERG'],
      ['offset', 'THETA'],
    ],
    column: ['RAD_MAX'],
    unit: 'deg',
  },
};

export const IRF_CLASSES = Object.keys(LAYOUTS) as readonly IrfClass[];

function numbers(values: unknown, name: string, where: string): ArrayLike<number> {
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    if (values instanceof BigInt64Array || values instanceof BigUint64Array)
      return Float64Array.from(values, Number);
    return values as unknown as ArrayLike<number>;
  }
  throw new GadfError(`column ${name} is not numeric`, where);
}

/** Factor from a stored unit to the one hearc computes in, for each kind of value. */
function valueFactor(hduClass: IrfClass, unit: string, where: string): number {
  const u = unit.trim();
  if (hduClass === 'aeff_2d') {
    const factor = { m2: 1, 'm^2': 1, 'm**2': 1, cm2: 1e-4, 'cm^2': 1e-4, 'cm**2': 1e-4 }[u];
    if (factor === undefined)
      throw new GadfError(`EFFAREA unit '${unit}' is not an area (m2, cm2)`, where);
    return factor;
  }
  if (hduClass === 'psf_table') {
    if (u === '' || /^(sr\^?-1|1\/sr|sr\*\*-1)$/.test(u)) return 1;
    if (/^(deg\^?-2|1\/deg\^?2|deg\*\*-2)$/.test(u)) return (180 / Math.PI) ** 2;
    throw new GadfError(`RPSF unit '${unit}' is not per solid angle (sr-1, deg-2)`, where);
  }
  if (hduClass === 'edisp_2d' || hduClass === 'psf_3gauss' || hduClass === 'psf_king') return 1;
  if (hduClass === 'rad_max_2d') {
    const factor = unitFactor('angle', u || 'deg');
    if (factor === undefined) throw new GadfError(`RAD_MAX unit '${unit}' is not an angle`, where);
    return factor;
  }
  // Background: per time, energy and solid angle, in any order ("s-1 MeV-1 sr-1", "1/(s MeV sr)").
  const compact = u.replace(/\*\*/g, '^').replace(/\^/g, '');
  const parts = compact.startsWith('1/(')
    ? compact
        .slice(3, -1)
        .split(/[\s.*]+/)
        .map((p) => `${p}-1`)
    : compact.split(/[\s.*]+/);
  let energy: number | undefined;
  let time: number | undefined;
  let solid: number | undefined;
  for (const part of parts.filter((p) => p !== '')) {
    const m = /^([A-Za-z]+)-1$/.exec(part);
    const name = m?.[1];
    if (name === undefined) break;
    if (name === 's') time = 1;
    else if (name === 'sr') solid = 1;
    else if (name === 'deg2' || name === 'deg') solid = (180 / Math.PI) ** 2;
    else if (unitFactor('energy', name) !== undefined) energy = unitFactor('energy', name);
  }
  if (energy === undefined || time === undefined || solid === undefined) {
    throw new GadfError(
      `BKG unit '${unit}' is not a rate per energy and solid angle (e.g. s-1 MeV-1 sr-1)`,
      where,
    );
  }
  // Per stored energy unit to per TeV.
  return solid / energy;
}

function axisOf(
  batch: ReturnType<BinTableHdu['readRows']>,
  table: BinTableHdu,
  name: IrfAxisName,
  stem: string,
  where: string,
): IrfAxis {
  const lo = numbers(batch.column(`${stem}_LO`).values, `${stem}_LO`, where);
  const hi = numbers(batch.column(`${stem}_HI`).values, `${stem}_HI`, where);
  const column = table.columns.find((c) => c.name.toUpperCase() === `${stem}_LO`);
  const unit = column?.unit?.trim() ?? '';
  let factor = 1;
  if (stem === 'ENERG') {
    const f = unitFactor('energy', unit || 'TeV');
    if (f === undefined) throw new GadfError(`${stem}_LO unit '${unit}' is not an energy`, where);
    factor = f;
  } else if (stem !== 'MIGRA') {
    const f = unitFactor('angle', unit || 'deg');
    if (f === undefined) throw new GadfError(`${stem}_LO unit '${unit}' is not an angle`, where);
    factor = f;
  }
  // One row: the vector cells of row 0.
  const n = lo.length / Math.max(1, batch.rowCount);
  if (!(n >= 1) || hi.length !== lo.length)
    throw new GadfError(`${stem}_LO and ${stem}_HI differ in length`, where);
  const interp = stem === 'ENERG' ? 'log' : 'lin';
  const los = Float64Array.from({ length: n }, (_, i) => (lo[i] as number) * factor);
  const his = Float64Array.from({ length: n }, (_, i) => (hi[i] as number) * factor);
  // gammapy (MapAxes.from_table): LO all close to HI means nodes, not bins.
  const nodes = los.every((l, i) => Math.abs(his[i]! - l) <= 1e-8 + 1e-5 * Math.abs(l));
  if (nodes) return { name, interp, centres: los, edges: nodeEdges(los, interp) };
  const edges = new Float64Array(n + 1);
  edges.set(los);
  edges[n] = his[n - 1]!;
  return { name, interp, edges, centres: binCentres(edges, interp) };
}

/** Bin centres as gammapy's MapAxis gives them: geometric means on log axes. */
export function binCentres(edges: Float64Array, interp: 'lin' | 'log'): Float64Array {
  return Float64Array.from({ length: edges.length - 1 }, (_, i) => {
    const a = edges[i]!;
    const b = edges[i + 1]!;
    return interp === 'log' ? Math.exp((Math.log(a) + Math.log(b)) / 2) : (a + b) / 2;
  });
}

/** Edges of an axis given by nodes: halfway between them (in the axis' scale), the ends extrapolated. */
export function nodeEdges(nodes: Float64Array, interp: 'lin' | 'log'): Float64Array {
  const f = interp === 'log' ? Math.log : (v: number) => v;
  const g = interp === 'log' ? Math.exp : (v: number) => v;
  const n = nodes.length;
  const edges = new Float64Array(n + 1);
  if (n === 1) {
    edges[0] = nodes[0]!;
    edges[1] = nodes[0]!;
    return edges;
  }
  for (let i = 1; i < n; i++) edges[i] = g((f(nodes[i - 1]!) + f(nodes[i]!)) / 2);
  edges[0] = g(1.5 * f(nodes[0]!) - 0.5 * f(nodes[1]!));
  edges[n] = g(1.5 * f(nodes[n - 1]!) - 0.5 * f(nodes[n - 2]!));
  return edges;
}

/** The class of an IRF HDU from HDUCLAS4 (or HDUCLAS2 and its table shape). */
export function irfClassOf(header: Header): IrfClass | undefined {
  const cls4 = header.getString('HDUCLAS4')?.trim().toLowerCase();
  if (cls4 && (IRF_CLASSES as readonly string[]).includes(cls4)) return cls4 as IrfClass;
  return undefined;
}

/** One IRF HDU to read: the file, its EXTNAME, and the classes the caller can use. */
export interface IrfHduRef {
  readonly path: string;
  readonly hduName: string;
  readonly expect?: readonly IrfClass[];
}

/**
 * Reads one IRF HDU (by EXTNAME) of a file whole. `expect` names the classes the
 * caller can use; another class is a GadfError naming what was found.
 */
export async function readIrf(
  path: string,
  hduName: string,
  expect: readonly IrfClass[] = IRF_CLASSES,
): Promise<IrfTable> {
  return (await readIrfs([{ path, hduName, expect }]))[0]!;
}

/**
 * Reads several IRF HDUs whole, in the order asked, with one pass over each file
 * (a gzip file is inflated once however many of its HDUs are wanted).
 */
export async function readIrfs(refs: readonly IrfHduRef[]): Promise<IrfTable[]> {
  const byPath = new Map<string, number[]>();
  refs.forEach((ref, i) => byPath.set(ref.path, [...(byPath.get(ref.path) ?? []), i]));
  const tables: IrfTable[] = new Array<IrfTable>(refs.length);
  await Promise.all(
    [...byPath].map(async ([path, indices]) => {
      const wanted = new Set(indices.map((i) => refs[i]!.hduName.trim().toUpperCase()));
      const scanned = await scanFile(path, {
        keep: (h) => h.kind === 'bintable' && wanted.has(h.name.toUpperCase()),
        until: (seen) => [...wanted].every((w) => seen.some((h) => h.name.toUpperCase() === w)),
      });
      for (const i of indices) {
        const { hduName, expect = IRF_CLASSES } = refs[i]!;
        const name = hduName.trim().toUpperCase();
        const summary = scanned.hdus.find((h) => h.name.toUpperCase() === name);
        tables[i] = irfOf(summary && scanned.kept.get(summary.index), path, hduName, expect);
      }
    }),
  );
  return tables;
}

/** The IRF a table HDU of a file holds, checked to be of one of the `expect` classes. */
function irfOf(
  table: Hdu | undefined,
  path: string,
  hduName: string,
  expect: readonly IrfClass[],
): IrfTable {
  const where = `${path} (HDU '${hduName}')`;
  if (!(table instanceof BinTableHdu))
    throw new GadfError(`there is no table HDU '${hduName}'`, path);
  const hduClass = irfClassOf(table.header);
  if (!hduClass || !expect.includes(hduClass)) {
    const found = table.header.getString('HDUCLAS4')?.trim() || 'no HDUCLAS4';
    throw new GadfError(`is ${found}, not one of ${expect.join(', ')}`, where);
  }
  const layout = LAYOUTS[hduClass];
  const batch = table.readRows(0, Math.min(1, table.rowCount));
  const axes = layout.axes.map(([name, stem]) => axisOf(batch, table, name, stem, where));
  const lengths = axes.map((a) => a.edges.length - 1);
  const count = lengths.reduce((a, b) => a * b, 1);
  const valuesOf = (columnName: string, factorOf: (unit: string) => number): Float64Array => {
    const descriptor = table.columns.find((d) => d.name.toUpperCase() === columnName)!;
    const stored = numbers(batch.column(columnName).values, columnName, where);
    if (stored.length < count)
      throw new GadfError(`${columnName} holds ${stored.length} values, the axes ${count}`, where);
    const tdim = descriptor.dim ?? lengths;
    const factor = factorOf(descriptor.unit ?? '');
    const data = new Float64Array(count);
    const same = tdim.length === lengths.length && tdim.every((d, i) => d === lengths[i]);
    const reversed =
      tdim.length === lengths.length && tdim.every((d, i) => d === lengths[lengths.length - 1 - i]);
    if (same) {
      // gammapy: column.transpose(), TDIM order is the axes order (the first axis fastest).
      forEachIndex(lengths, (c, flat) => {
        let k = 0;
        for (let i = lengths.length - 1; i >= 0; i--) k = k * lengths[i]! + c[i]!;
        data[flat] = (stored[k] as number) * factor;
      });
    } else if (reversed && hduClass.startsWith('bkg')) {
      // The stored array in C order is already (energy, ..): gammapy transposes back.
      for (let i = 0; i < count; i++) data[i] = (stored[i] as number) * factor;
    } else {
      throw new GadfError(
        `${columnName} has TDIM (${tdim.join(',')}), which does not fit axes of (${lengths.join(',')})`,
        where,
      );
    }
    return data;
  };
  const has = (name: string) => table.columns.some((d) => d.name.toUpperCase() === name);
  let parameters: Map<string, Float64Array> | undefined;
  if (layout.parameters) {
    parameters = new Map();
    for (const [name, columnName] of layout.parameters) {
      if (!has(columnName)) throw new GadfError(`has no ${columnName} column`, where);
      const isSigma = name.startsWith('sigma');
      const values = valuesOf(columnName, (unit) => {
        if (!isSigma) return 1;
        const f = unitFactor('angle', unit.trim() || 'deg');
        if (f === undefined)
          throw new GadfError(`${columnName} unit '${unit}' is not an angle`, where);
        return f;
      });
      // gammapy's ParametricPSF.from_table: a zero width stands for 1.
      if (isSigma) for (let i = 0; i < values.length; i++) if (values[i] === 0) values[i] = 1;
      parameters.set(name, values);
    }
  }
  const columnName = layout.column.find(has);
  if (columnName === undefined)
    throw new GadfError(`has no ${layout.column.join(' or ')} column`, where);
  const data =
    parameters?.values().next().value ??
    valuesOf(columnName, (unit) => valueFactor(hduClass, unit, where));
  const align = table.header.getString('FOVALIGN')?.trim().toUpperCase();
  return {
    hduClass,
    header: table.header,
    axes,
    data,
    ...(parameters ? { parameters } : {}),
    unit: layout.unit,
    ...(hduClass === 'bkg_3d' ? { fovAlignment: align === 'ALTAZ' ? 'ALTAZ' : 'RADEC' } : {}),
    where,
  };
}

/** Calls `visit` with every index tuple of an array of these lengths, in C order. */
function forEachIndex(
  lengths: readonly number[],
  visit: (c: number[], flat: number) => void,
): void {
  const c = lengths.map(() => 0);
  const total = lengths.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    visit(c, flat);
    for (let i = lengths.length - 1; i >= 0; i--) {
      if (++c[i]! < lengths[i]!) break;
      c[i] = 0;
    }
  }
}
