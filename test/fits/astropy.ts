/**
 * Comparing what hearc reads with what astropy reads: a Python script dumps
 * every header card and a canonical digest of every column/image (SHA-256 of
 * little-endian float64/int64 values, NaN made canonical, plus sampled values);
 * the same digest is computed here from hearc's arrays.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Card, ColumnValues, FitsFile, Hdu, HeaderValue } from '../../src/fits/index.js';
import { PYTHON } from '../helpers/env.js';

/** A value as the dump writes it: [type, ...text] so that big integers and float reprs survive JSON. */
export type DumpedValue =
  ['b', boolean] | ['i', string] | ['f', string] | ['c', string, string] | ['s', string] | ['u'];

export interface DumpedDigest {
  readonly dtype: string;
  readonly shape: number[];
  readonly sha256: string;
  readonly samples: DumpedValue[];
  readonly strings?: string[];
  readonly lengths?: number[];
}

export interface DumpedHdu {
  readonly name: string;
  readonly cards: [string, DumpedValue, string][];
  readonly columns?: Record<string, DumpedDigest>;
  readonly image?: DumpedDigest | null;
  readonly checksum?: number;
  readonly datasum?: number;
}

const DUMP_SCRIPT = String.raw`
import hashlib, json, sys, warnings
import numpy as np
from astropy.io import fits
from astropy.io.fits.card import Undefined

warnings.simplefilter('error')

def enc(v):
    if isinstance(v, (bool, np.bool_)): return ['b', bool(v)]
    if isinstance(v, (int, np.integer)): return ['i', str(int(v))]
    if isinstance(v, (float, np.floating)): return ['f', repr(float(v))]
    if isinstance(v, (complex, np.complexfloating)): return ['c', repr(float(v.real)), repr(float(v.imag))]
    if isinstance(v, str): return ['s', v]
    if v is None or isinstance(v, Undefined): return ['u']
    if isinstance(v, bytes): return ['s', v.decode('latin1')]
    return ['s', str(v)]

def canon(a):
    a = np.asarray(a)
    if a.dtype.kind == 'c':
        a = np.stack([a.real, a.imag], axis=-1)
    if a.dtype.kind == 'f':
        c = a.astype('<f8')
        c[np.isnan(c)] = np.nan
    elif a.dtype.kind == 'u' and a.dtype.itemsize == 8:
        c = a.astype('<u8')
    elif a.dtype.kind in 'iu':
        c = a.astype('<i8')
    elif a.dtype.kind == 'b':
        c = a.astype('<i8')
    else:
        raise ValueError('cannot digest dtype ' + a.dtype.str)
    return np.ascontiguousarray(c)

def samples(flat):
    n = len(flat)
    idx = sorted(set([0, n - 1] + list(range(0, n, 997)))) if n else []
    return [enc(flat[i].item()) for i in idx]

def digest(a, dtype):
    c = canon(a)
    flat = c.reshape(-1)
    return {'dtype': dtype, 'shape': list(np.shape(a)), 'sha256': hashlib.sha256(flat.tobytes()).hexdigest(), 'samples': samples(flat)}

def strings(values):
    return [v.decode('latin1') if isinstance(v, bytes) else str(v) for v in values]

def column(hdu, col):
    data = hdu.data[col.name]
    fmt = col.format
    if fmt.startswith(('P', 'Q')) or 'P' in fmt[:2] or 'Q' in fmt[:2]:
        rows = list(data)
        if fmt.replace('1', '')[1:2] == 'A' or (rows and isinstance(rows[0], (str, bytes))):
            # astropy gives a PA row as a chararray of single characters; its items drop spaces.
            joined = [''.join(np.asarray(r).view(np.ndarray).tolist()) if not isinstance(r, (str, bytes)) else r for r in rows]
            return {'dtype': 'vla-string', 'shape': [len(rows)], 'sha256': '', 'samples': [], 'strings': strings(joined)}
        lengths = [len(np.asarray(r).reshape(-1)) for r in rows]
        parts = [canon(np.asarray(r)).reshape(-1) for r in rows]
        flat = np.concatenate(parts) if parts else np.zeros(0)
        kind = np.asarray(rows[0]).dtype.str if rows else ''
        d = {'dtype': 'vla:' + kind, 'shape': [len(rows)], 'sha256': hashlib.sha256(flat.tobytes()).hexdigest(), 'samples': samples(flat), 'lengths': lengths}
        return d
    a = np.asarray(data)
    if col.null is not None and a.dtype.kind == 'f' and (col.bscale not in (None, 1) or col.bzero not in (None, 0)):
        # FITS: TNULL marks undefined stored integers; astropy scales them like any value, hearc gives NaN.
        a = a.copy()
        a[np.rint((a - (col.bzero or 0)) / (col.bscale or 1)) == col.null] = np.nan
    if a.dtype.kind in 'SU':
        # Like astropy's own element access: trailing spaces are not part of a FITS string.
        return {'dtype': a.dtype.str, 'shape': list(a.shape), 'sha256': '', 'samples': [], 'strings': [t.rstrip() for t in strings(a.reshape(-1))]}
    return digest(a, a.dtype.str)

out = {}
checksum = sys.argv[1] == '--checksum'
for path in sys.argv[2:]:
    hdus = []
    with fits.open(path, memmap=False, checksum=checksum) as f:
        for hdu in f:
            cards = [[c.keyword, enc(c.value), c.comment] for c in hdu.header.cards]
            entry = {'name': hdu.name, 'cards': cards}
            if checksum:
                entry['checksum'] = hdu.verify_checksum()
                entry['datasum'] = hdu.verify_datasum()
            if isinstance(hdu, fits.BinTableHDU):
                entry['columns'] = {col.name: column(hdu, col) for col in hdu.columns}
            elif isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)):
                entry['image'] = None if hdu.data is None else digest(hdu.data, hdu.data.dtype.str)
            hdus.append(entry)
    out[path] = hdus
json.dump(out, sys.stdout)
`;

/** Runs a Python script (written to a temp file) with /usr/bin/python3 and parses its JSON output. */
export function runPython<T>(script: string, args: readonly string[]): T {
  const dir = mkdtempSync(join(tmpdir(), 'hearc-py-'));
  const file = join(dir, 'script.py');
  writeFileSync(file, script);
  const result = spawnSync(PYTHON, [file, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) {
    throw new Error(`python failed (${result.status}): ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

/**
 * astropy's view of each file. With `checksum`, files are opened with checksum=True
 * (a bad CHECKSUM/DATASUM warns, and warnings are errors) and each HDU reports
 * verify_checksum()/verify_datasum() (1 = valid).
 */
export function dumpWithAstropy(
  paths: readonly string[],
  options: { checksum?: boolean } = {},
): Record<string, DumpedHdu[]> {
  return runPython(DUMP_SCRIPT, [options.checksum ? '--checksum' : '--no-checksum', ...paths]);
}

const ARRAY_DTYPE: Record<string, string> = {
  Float32Array: 'f4',
  Float64Array: 'f8',
  Int8Array: 'i1',
  Uint8Array: 'u1',
  Int16Array: 'i2',
  Uint16Array: 'u2',
  Int32Array: 'i4',
  Uint32Array: 'u4',
  BigInt64Array: 'i8',
  BigUint64Array: 'u8',
};

/** Canonical bytes of numbers as the dump makes them: float64 (NaN canonical) or int64/uint64 LE. */
function canonicalBytes(
  values: ArrayLike<number | bigint> | Array<boolean | null>,
  asFloat: boolean,
): Uint8Array {
  if (values instanceof BigUint64Array) return new Uint8Array(BigUint64Array.from(values).buffer);
  if (values instanceof BigInt64Array) return new Uint8Array(BigInt64Array.from(values).buffer);
  if (asFloat || values instanceof Float32Array || values instanceof Float64Array) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
    return new Uint8Array(out.buffer);
  }
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] =
      typeof v === 'bigint' ? v : BigInt(v === true ? 1 : v === false || v === null ? 0 : (v ?? 0));
  }
  return new Uint8Array(out.buffer);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sampleIndices(n: number): number[] {
  if (n === 0) return [];
  const set = new Set([0, n - 1]);
  for (let i = 0; i < n; i += 997) set.add(i);
  return [...set].sort((a, b) => a - b);
}

function assertSameNumber(
  actual: number | bigint | boolean | null,
  expected: DumpedValue,
  where: string,
): void {
  if (expected[0] === 'f') {
    const e = Number(expected[1].replace('nan', 'NaN').replace('inf', 'Infinity'));
    assert.ok(
      Object.is(Number(actual), e) || Number(actual) === e,
      `${where}: ${String(actual)} != ${expected[1]}`,
    );
  } else if (expected[0] === 'i') {
    assert.equal(
      BigInt(typeof actual === 'boolean' ? Number(actual) : (actual ?? 0)),
      BigInt(expected[1]),
      where,
    );
  } else if (expected[0] === 'b') {
    assert.equal(Boolean(actual), expected[1], where);
  } else {
    assert.fail(`${where}: unexpected sample ${JSON.stringify(expected)}`);
  }
}

/** Asserts that a column (or image) read by hearc has the same values as astropy's. */
export function assertSameValues(
  values: ColumnValues,
  expected: DumpedDigest,
  where: string,
  isVariable: boolean,
): void {
  if (expected.strings !== undefined) {
    assert.ok(Array.isArray(values), `${where}: expected strings`);
    assert.deepEqual(values, expected.strings, `${where}: strings differ`);
    return;
  }
  let flat: ArrayLike<number | bigint> | Array<boolean | null>;
  if (isVariable) {
    const rows = values as ColumnValues[];
    assert.deepEqual(
      rows.map((r) => (r as ArrayLike<unknown>).length),
      expected.lengths,
      `${where}: variable-length array lengths differ`,
    );
    flat = concatRows(rows);
  } else {
    flat = values as ArrayLike<number | bigint>;
    const name = (values as object).constructor.name;
    // Complex values come interleaved in float arrays; bits (b1) as 0/1 bytes.
    const dtype = expected.dtype
      .replace(/^[<>|=]/, '')
      .replace('c8', 'f4')
      .replace('c16', 'f8');
    // astropy 5.2 reads signed bytes (B with TZERO = -128) as float64; the values must still agree.
    const signedBytesAsFloat = name === 'Int8Array' && dtype === 'f8';
    if (name in ARRAY_DTYPE && dtype !== 'b1' && !signedBytesAsFloat) {
      assert.equal(ARRAY_DTYPE[name], dtype, `${where}: type ${name} vs astropy ${expected.dtype}`);
    }
    const count =
      expected.shape.reduce((a, b) => a * b, 1) * (expected.dtype.includes('c') ? 2 : 1);
    assert.equal(flat.length, count, `${where}: ${flat.length} values, astropy has ${count}`);
  }
  const indices = sampleIndices(flat.length);
  indices.forEach((index, k) =>
    assertSameNumber(flat[index]!, expected.samples[k]!, `${where}[${index}]`),
  );
  const asFloat = /[fc]\d/.test(expected.dtype);
  assert.equal(
    sha256(canonicalBytes(flat, asFloat)),
    expected.sha256,
    `${where}: values differ from astropy's`,
  );
}

function concatRows(rows: ColumnValues[]): ArrayLike<number | bigint> | Array<boolean | null> {
  const parts = rows as unknown as ArrayLike<number | bigint | boolean | null>[];
  const first = parts.find((p) => p.length > 0);
  if (first instanceof BigInt64Array || first instanceof BigUint64Array) {
    const out: bigint[] = [];
    for (const p of parts) out.push(...Array.from(p as ArrayLike<bigint>));
    return first instanceof BigInt64Array ? BigInt64Array.from(out) : BigUint64Array.from(out);
  }
  const isFloat = first instanceof Float32Array || first instanceof Float64Array;
  const out: number[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(Number(p[i] ?? 0));
  return isFloat ? Float64Array.from(out) : out;
}

function valueOfCard(card: Card): HeaderValue | undefined {
  return card.value;
}

/** Asserts that hearc's cards equal astropy's (keyword, value, and comment). */
export function assertSameCards(hdu: Hdu, expected: DumpedHdu['cards'], where: string): void {
  const cards = hdu.header.cards;
  assert.equal(
    cards.length,
    expected.length,
    `${where}: ${cards.length} cards, astropy has ${expected.length}`,
  );
  cards.forEach((card, i) => {
    const [keyword, value, comment] = expected[i]!;
    const at = `${where} card ${i + 1} (${keyword})`;
    assert.equal(card.keyword.toUpperCase(), keyword.toUpperCase(), `${at}: keyword`);
    const ours = valueOfCard(card);
    if (ours === undefined) {
      assert.deepEqual(['s', card.comment ?? ''], value, `${at}: commentary text`);
      return;
    }
    assertSameHeaderValue(ours, value, at);
    assert.equal(card.comment ?? '', comment, `${at}: comment`);
  });
}

export function assertSameHeaderValue(ours: HeaderValue, value: DumpedValue, at: string): void {
  switch (value[0]) {
    case 's':
      assert.equal(ours, value[1], at);
      break;
    case 'b':
      assert.equal(ours, value[1], at);
      break;
    case 'i':
      assert.ok(typeof ours === 'number' || typeof ours === 'bigint', `${at}: expected an integer`);
      assert.equal(BigInt(ours), BigInt(value[1]), at);
      break;
    case 'f':
      assert.equal(typeof ours, 'number', `${at}: expected a real`);
      assert.ok(
        Object.is(ours, Number(value[1])) || ours === Number(value[1]),
        `${at}: ${String(ours)} != ${value[1]}`,
      );
      break;
    case 'c':
      assert.deepEqual(ours, { re: Number(value[1]), im: Number(value[2]) }, at);
      break;
    default:
      assert.equal(ours, null, `${at}: expected an undefined value`);
  }
}

/** Compares every HDU of a file read by hearc with astropy's dump of it. */
export function assertSameAsAstropy(file: FitsFile, dumped: DumpedHdu[]): void {
  assert.equal(file.hdus.length, dumped.length, `${file.path}: HDU count`);
  file.hdus.forEach((hdu, i) => {
    const expected = dumped[i]!;
    const where = `${file.path} HDU ${i} (${expected.name})`;
    assertSameCards(hdu, expected.cards, where);
    if (hdu.kind === 'bintable') {
      const columns = expected.columns ?? {};
      assert.deepEqual(
        hdu.columns.map((c) => c.name),
        Object.keys(columns),
        `${where}: column names`,
      );
      for (const descriptor of hdu.columns) {
        const values = hdu.readColumn(descriptor.name).values;
        assertSameValues(
          values,
          columns[descriptor.name]!,
          `${where} column ${descriptor.name}`,
          descriptor.variable !== undefined,
        );
      }
    } else if (hdu.kind === 'image') {
      const values = hdu.read();
      if (expected.image === null || expected.image === undefined)
        assert.equal(values.length, 0, `${where}: image`);
      else assertSameValues(values, expected.image, `${where} image`, false);
    }
  });
}
