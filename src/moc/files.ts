/**
 * A MOC as files (IVOA MOC 2.0): FITS (space: NUNIQ packaging with a UNIQ column and
 * MOCORDER for MOC 1.1 readers; time and space-time: RANGE packaging in TCB), JSON and ASCII.
 */
import { buildBinTable, type Card, fitsFileBytes } from '../fits/index.js';
import { SOFTWARE } from '../service/index.js';
import type { SpaceMoc } from './library.js';
import {
  SPACE_TIME_MOC_SPACE_DEPTH,
  SPACE_TIME_MOC_TIME_DEPTH,
  type SpaceTimeMoc,
  spaceTimeMocAscii,
  spaceTimeMocJson,
  spaceTimeMocRanges,
} from './space-time-moc.js';
import {
  TIME_MOC_MAX_DEPTH,
  timeMocAscii,
  timeMocCells,
  timeMocJson,
  type TimeRanges,
} from './time-moc.js';

/** One MOC in the three serialisations MOC 2.0 defines. */
export interface MocFile {
  readonly fits: Uint8Array;
  readonly json: string;
  readonly ascii: string;
}

export type MocFormat = keyof MocFile;

/** How to make each form of a MOC file. */
export type MocFileMakers = { readonly [F in MocFormat]: () => MocFile[F] };

/**
 * A MOC file whose forms are made on first request and kept: a coverage of many
 * observations is computed whole, but most of its forms are never asked for.
 */
export function lazyMocFile(make: MocFileMakers): MocFile {
  const made: { -readonly [F in MocFormat]?: MocFile[F] } = {};
  return {
    get fits() {
      return (made.fits ??= make.fits());
    },
    get json() {
      return (made.json ??= make.json());
    },
    get ascii() {
      return (made.ascii ??= make.ascii());
    },
  };
}

export const MOC_MEDIA_TYPES: Readonly<Record<MocFormat, string>> = {
  fits: 'application/fits',
  json: 'application/json',
  ascii: 'text/plain; charset=utf-8',
};

const MOCTOOL = `${SOFTWARE.name} ${SOFTWARE.version} (CDS moc-wasm)`;

function mocCards(id: string | undefined, cards: Card[]): Card[] {
  return [
    { keyword: 'MOCVERS', value: '2.0', comment: 'MOC version' },
    ...cards,
    { keyword: 'MOCTOOL', value: MOCTOOL, comment: 'software that wrote the MOC' },
    { keyword: 'MOCTYPE', value: 'IMAGE', comment: 'coverage of footprints' },
    ...(id !== undefined ? [{ keyword: 'MOCID', value: id, comment: 'IVOA identifier' }] : []),
  ];
}

/** The cells of a space MOC by depth, from its JSON serialisation. */
function spaceCells(json: string): [number, number[]][] {
  return Object.entries(JSON.parse(json) as Record<string, number[]>)
    .map(([depth, cells]): [number, number[]] => [Number(depth), cells])
    .sort(([a], [b]) => a - b);
}

/** A space MOC (HEALPix, ICRS) as files; `id` is the IVOA identifier of what it covers. */
export function spaceMocFile(moc: SpaceMoc, id?: string): MocFile {
  const depth = moc.getDepth();
  const json = String(moc.toJson());
  const byOrder = spaceCells(json);
  const uniq = new BigInt64Array(byOrder.reduce((sum, [, cells]) => sum + cells.length, 0));
  let at = 0;
  for (const [order, cells] of byOrder) {
    // Exact in doubles to order 24 (4·4^24 < 2^53); deeper orders in BigInt.
    if (order <= 24) {
      const base = 4 * 4 ** order;
      for (const cell of cells) uniq[at++] = BigInt(base + cell);
    } else {
      const base = 4n * 4n ** BigInt(order);
      for (const cell of cells) uniq[at++] = base + BigInt(cell);
    }
  }
  const hdu = buildBinTable({
    name: 'MOC',
    columns: [{ name: 'UNIQ', format: '1K', values: uniq }],
    header: mocCards(id, [
      { keyword: 'MOCDIM', value: 'SPACE', comment: 'physical dimension' },
      { keyword: 'ORDERING', value: 'NUNIQ', comment: 'NUNIQ packaging' },
      { keyword: 'COORDSYS', value: 'C', comment: 'ICRS' },
      { keyword: 'MOCORD_S', value: depth, comment: 'best space order' },
      { keyword: 'MOCORDER', value: depth, comment: 'best order (MOC 1.1 readers)' },
    ]),
  });
  const ascii = String(moc.toAscii()).trim();
  return {
    fits: fitsFileBytes([hdu]),
    json,
    ascii: ascii.includes('/') ? ascii : `${depth}/`,
  };
}

/** A time MOC (depth 61, TCB) as files, from merged tick ranges, each form made when asked. */
export function timeMocFile(ranges: TimeRanges, id?: string): MocFile {
  // The JSON and ASCII forms list the same cells: split the ranges once, kept until both are made.
  let cells: Map<number, bigint[]> | undefined;
  let waiting = 2;
  const withCells = <T>(make: (cells: Map<number, bigint[]>) => T): T => {
    const made = make((cells ??= timeMocCells(ranges)));
    if (--waiting === 0) cells = undefined;
    return made;
  };
  return lazyMocFile({
    fits: () => timeMocFits(ranges, id),
    json: () => withCells((c) => timeMocJson(ranges, c)),
    ascii: () => withCells((c) => timeMocAscii(ranges, c)),
  });
}

function timeMocFits(ranges: TimeRanges, id: string | undefined): Uint8Array {
  const bounds = new BigInt64Array(ranges.length * 2);
  ranges.forEach(([start, end], i) => {
    bounds[2 * i] = start;
    bounds[2 * i + 1] = end;
  });
  const hdu = buildBinTable({
    name: 'MOC',
    columns: [{ name: 'RANGE', format: '1K', values: bounds }],
    header: mocCards(id, [
      { keyword: 'MOCDIM', value: 'TIME', comment: 'physical dimension' },
      { keyword: 'ORDERING', value: 'RANGE', comment: 'RANGE packaging' },
      { keyword: 'TIMESYS', value: 'TCB', comment: 'barycentric coordinate time' },
      { keyword: 'MOCORD_T', value: TIME_MOC_MAX_DEPTH, comment: 'best time order (1 us)' },
    ]),
  });
  return fitsFileBytes([hdu]);
}

/** A space-time MOC as files, built by `build` when a form is first asked for and kept. */
export function spaceTimeMocFile(build: () => SpaceTimeMoc, id?: string): MocFile {
  let moc: SpaceTimeMoc | undefined;
  const built = (): SpaceTimeMoc => (moc ??= build());
  return lazyMocFile({
    fits: () => spaceTimeMocFits(built(), id),
    json: () => spaceTimeMocJson(built()),
    ascii: () => spaceTimeMocAscii(built()),
  });
}

function spaceTimeMocFits(moc: SpaceTimeMoc, id: string | undefined): Uint8Array {
  const hdu = buildBinTable({
    name: 'MOC',
    columns: [{ name: 'RANGE', format: '1K', values: spaceTimeMocRanges(moc) }],
    header: mocCards(id, [
      { keyword: 'MOCDIM', value: 'TIME.SPACE', comment: 'physical dimensions' },
      { keyword: 'ORDERING', value: 'RANGE', comment: 'RANGE packaging' },
      { keyword: 'COORDSYS', value: 'C', comment: 'ICRS' },
      { keyword: 'TIMESYS', value: 'TCB', comment: 'barycentric coordinate time' },
      { keyword: 'MOCORD_T', value: SPACE_TIME_MOC_TIME_DEPTH, comment: 'best time order' },
      { keyword: 'MOCORD_S', value: SPACE_TIME_MOC_SPACE_DEPTH, comment: 'best space order' },
    ]),
  });
  return fitsFileBytes([hdu]);
}
