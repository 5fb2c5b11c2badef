/**
 * HEALPix skymaps in FITS: multi-order maps (ORDERING='NUNIQ', columns UNIQ and
 * PROBDENSITY in sr⁻¹, as LIGO/Virgo/KAGRA publish them) and flat maps in the nested
 * scheme (a PROB column per pixel; INDXSCHM IMPLICIT, or EXPLICIT with a PIXEL column).
 */
import { gunzipSync } from 'node:zlib';
import {
  type BinTableHdu,
  FitsError,
  isGzip,
  parseFits,
  type ColumnValues,
} from '../fits/index.js';
import { cellArea, encodeUniq, cellCentre, decodeUniq, HEALPIX_MAX_ORDER } from '../moc/index.js';
import { type Alert, messengerOf, mjdOfIso } from './alert.js';
import { AlertError } from './errors.js';
import { probabilityMap, type ProbabilityMap } from './localisation.js';

function numbers(values: ColumnValues, what: string, source: string): Float64Array {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as bigint;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new AlertError(
          `${what} ${v} is beyond the orders this service reads (0 to ${HEALPIX_MAX_ORDER})`,
          source,
        );
      }
      out[i] = Number(v);
    }
    return out;
  }
  if (ArrayBuffer.isView(values)) return Float64Array.from(values as ArrayLike<number>);
  throw new AlertError(`column ${what} is not numeric`, source);
}

function columnNamed(table: BinTableHdu, names: readonly string[]): string | undefined {
  const wanted = names.map((n) => n.toUpperCase());
  return table.columns.find((c) => wanted.includes(c.name.toUpperCase()))?.name;
}

/** The probability map of the first binary table of a HEALPix FITS file. */
export function readSkymap(
  bytes: Uint8Array,
  source: string,
): {
  map: ProbabilityMap;
  table: BinTableHdu;
} {
  let table: BinTableHdu;
  try {
    const file = parseFits(isGzip(bytes) ? gunzipSync(bytes) : bytes, source);
    const found = file.hdus.find((h) => h.header.getString('XTENSION')?.trim() === 'BINTABLE');
    if (!found) throw new AlertError('no binary table holds a HEALPix map', source);
    table = file.bintable(file.hdus.indexOf(found));
  } catch (error) {
    if (error instanceof FitsError) throw new AlertError(error.message, source, { cause: error });
    throw error;
  }
  const header = table.header;
  const ordering = header.getString('ORDERING')?.trim().toUpperCase();
  if (ordering === 'NUNIQ') {
    const uniqName = columnNamed(table, ['UNIQ']);
    const densityName = columnNamed(table, ['PROBDENSITY']);
    if (!uniqName || !densityName) {
      throw new AlertError('a NUNIQ map needs the columns UNIQ and PROBDENSITY', source);
    }
    const uniq = numbers(table.readColumn(uniqName).values, 'UNIQ', source);
    const density = numbers(table.readColumn(densityName).values, 'PROBDENSITY', source);
    return { map: probabilityMap(uniq, density, source), table };
  }
  if (ordering === 'RING') {
    throw new AlertError(
      'RING ordering is not read yet: convert the map to NESTED (healpy.reorder(m, r2n=True)) or NUNIQ',
      source,
    );
  }
  if (ordering !== 'NESTED') {
    throw new AlertError(
      `ORDERING '${ordering ?? ''}' is not a HEALPix ordering (NUNIQ, NESTED)`,
      source,
    );
  }
  const nside = header.getInteger('NSIDE');
  const order = nside === undefined ? -1 : Math.log2(nside);
  if (!Number.isInteger(order) || order < 0 || order > HEALPIX_MAX_ORDER) {
    throw new AlertError(
      `NSIDE ${nside ?? '(missing)'} is not a power of 2 up to 2^${HEALPIX_MAX_ORDER}`,
      source,
    );
  }
  const probName =
    columnNamed(table, ['PROB', 'PROBABILITY']) ??
    table.columns.find((c) => c.name.toUpperCase() !== 'PIXEL')?.name;
  if (!probName) throw new AlertError('the map has no PROB column', source);
  const prob = numbers(table.readColumn(probName).values, probName, source);
  const explicit = header.getString('INDXSCHM')?.trim().toUpperCase() === 'EXPLICIT';
  const pixelName = explicit ? columnNamed(table, ['PIXEL']) : undefined;
  if (explicit && !pixelName)
    throw new AlertError("INDXSCHM='EXPLICIT' needs a PIXEL column", source);
  const pixels = pixelName
    ? numbers(table.readColumn(pixelName).values, 'PIXEL', source)
    : undefined;
  const npix = 12 * 4 ** order;
  if (!pixels && prob.length !== npix) {
    throw new AlertError(
      `a full map of NSIDE ${nside} has ${npix} pixels, this one ${prob.length}`,
      source,
    );
  }
  const uniq = new Float64Array(prob.length);
  const density = new Float64Array(prob.length);
  const area = cellArea(order);
  for (let i = 0; i < prob.length; i++) {
    const ipix = pixels ? (pixels[i] as number) : i;
    if (!(ipix >= 0 && ipix < npix))
      throw new AlertError(`PIXEL ${ipix} is outside the map`, source);
    uniq[i] = encodeUniq(order, ipix);
    // Blank (NaN) pixels of flat maps hold nothing.
    const p = prob[i] as number;
    density[i] = Number.isNaN(p) ? 0 : p / area;
  }
  return { map: probabilityMap(uniq, density, source), table };
}

/** The most probable position of a map: the centre of its densest cell. */
export function mostProbablePosition(map: ProbabilityMap): { ra: number; dec: number } {
  let best = 0;
  let bestDensity = -1;
  for (let i = 0; i < map.uniq.length; i++) {
    const { order } = decodeUniq(map.uniq[i] as number);
    const d = (map.prob[i] as number) / cellArea(order);
    if (d > bestDensity) {
      bestDensity = d;
      best = i;
    }
  }
  const { order, ipix } = decodeUniq(map.uniq[best] as number);
  return cellCentre(order, ipix);
}

/** An alert from a skymap file (a LIGO/Virgo/KAGRA superevent, or any HEALPix map). */
export function skymapAlert(bytes: Uint8Array, source: string): Alert {
  const { map, table } = readSkymap(bytes, source);
  const header = table.header;
  const text = (keyword: string): string | undefined => {
    const value = header.get(keyword);
    return typeof value === 'string' ? value.trim() : undefined;
  };
  const dateObs = text('DATE-OBS');
  const mjdObs = header.get('MJD-OBS');
  let tEvent = dateObs !== undefined ? mjdOfIso(dateObs) : undefined;
  if (tEvent === undefined && typeof mjdObs === 'number') tEvent = mjdObs;
  if (tEvent === undefined) {
    throw new AlertError('the map gives no event time (DATE-OBS or MJD-OBS)', source);
  }
  const tEventIso = dateObs ?? new Date((tEvent - 40587) * 86_400_000).toISOString();
  const name = source.replace(/^.*\//, '').replace(/\.(fits|fit|fts)(\.gz)?$/i, '');
  const position = mostProbablePosition(map);
  return {
    alertId: text('OBJECT') || name,
    messenger: messengerOf(text('ORIGIN'), text('INSTRUME'), text('CREATOR')),
    tEvent,
    tEventIso,
    ra: position.ra,
    dec: position.dec,
    errors: {},
    source: text('REFERENC') ?? name,
    format: 'healpix-fits',
    document: Buffer.from(bytes).toString('base64'),
    localisation: map,
  };
}
