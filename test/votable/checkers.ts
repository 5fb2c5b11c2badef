/**
 * Outside checkers for the VOTables we write: astropy (values as it reads them),
 * pyvo (DALI error handling) and STILTS votlint (messages sorted by severity).
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { CellValue, FieldDescription } from '../../src/votable/index.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';

export const requireAstropyVotable = (t: TestContext): boolean =>
  requireChecker(t, 'astropy (Debian python3-astropy)', [
    PYTHON,
    '-c',
    'import astropy.io.votable',
  ]);
export const requirePyvo = (t: TestContext): boolean =>
  requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo.dal']);
export const requireStilts = (t: TestContext): boolean =>
  requireChecker(t, 'STILTS (Debian stilts)', ['sh', '-c', 'command -v stilts']);

/** What astropy reads: cells as null, booleans, strings (numbers as their repr), or lists of those. */
type PyCell = null | boolean | string | PyCell[];

export interface AstropyDump {
  readonly version: string;
  readonly fields: {
    name: string;
    datatype: string;
    arraysize: string | null;
    xtype: string | null;
  }[];
  readonly rows: PyCell[][];
  readonly infos: [string, string, string | null][];
  readonly warnings: string[];
}

const DUMP = String.raw`
import json, math, sys, warnings
import numpy as np
from astropy.io.votable import parse

def scalar(x):
    if isinstance(x, (bool, np.bool_)): return bool(x)
    if isinstance(x, (np.integer, int)): return str(int(x))
    if isinstance(x, (np.complexfloating, complex)): return [scalar(x.real), scalar(x.imag)]
    if isinstance(x, (np.floating, float)):
        f = float(x)
        if math.isnan(f): return 'NaN'
        if math.isinf(f): return '+Inf' if f > 0 else '-Inf'
        return repr(f)
    if isinstance(x, bytes): return x.decode('utf-8')
    if isinstance(x, str): return x
    raise TypeError(type(x))

def cell(data, mask):
    if np.ndim(mask) == 0 and bool(mask): return None
    if isinstance(data, np.ndarray):
        masks = np.ma.getmaskarray(data).ravel() if isinstance(data, np.ma.MaskedArray) else np.zeros(data.size, bool)
        if np.ndim(mask) > 0: masks = masks | np.asarray(mask).ravel()
        out = []
        for v, m in zip(np.asarray(data).ravel(), masks):
            s = None if m else scalar(v)
            out.extend(s if isinstance(s, list) else [s])
        return out
    s = scalar(data)
    return s

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    votable = parse(sys.argv[1])
    table = votable.get_first_table()
    rows = []
    for i in range(len(table.array)):
        row = []
        for f in table.fields:
            col = table.array[f.ID if f.ID else f.name]
            row.append(cell(col.data[i], np.ma.getmaskarray(col)[i]))
        rows.append(row)
print(json.dumps({
  'version': votable.version,
  'fields': [{'name': f.name, 'datatype': f.datatype, 'arraysize': f.arraysize, 'xtype': f.xtype} for f in table.fields],
  'rows': rows,
  'infos': [[i.name, i.value, i.content] for i in votable.resources[0].infos],
  'warnings': [str(w.message) for w in caught],
}))
`;

export function astropyDump(path: string): AstropyDump {
  return runPythonJson<AstropyDump>(DUMP, [path]);
}

export function pyNumber(text: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** An astropy cell as the CellValue our writer would take for this field. */
export function fromAstropy(field: FieldDescription, cell: PyCell): CellValue {
  if (cell === null) return null;
  const element = (v: PyCell): number | bigint | boolean | null => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v !== 'string') throw new Error(`nested list in ${field.name}`);
    return ['unsignedByte', 'short', 'int', 'long'].includes(field.datatype)
      ? BigInt(v)
      : pyNumber(v);
  };
  if (field.datatype === 'char' || field.datatype === 'unicodeChar') return cell as string;
  if (Array.isArray(cell)) return cell.map(element) as CellValue;
  return element(cell);
}

export interface VotlintReport {
  readonly errors: string[];
  readonly warnings: string[];
  readonly output: string;
}

export function votlint(path: string): VotlintReport {
  const run = spawnSync('stilts', ['votlint', `votable=${path}`], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  const lines = output.split('\n');
  return {
    errors: lines.filter((l) => l.startsWith('ERROR')),
    warnings: lines.filter((l) => l.startsWith('WARNING')),
    output,
  };
}
