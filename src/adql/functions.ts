/**
 * Built-in ADQL 2.1 functions (§2.3 math and trig, §4.2 geometry, §4.4 string,
 * §4.7 conditional, §4.8 unit) with the number of arguments each takes.
 */

export type FunctionCategory =
  'math' | 'trig' | 'string' | 'geometry' | 'conditional' | 'unit' | 'time';

export interface BuiltinFunction {
  readonly name: string;
  readonly category: FunctionCategory;
  readonly minArgs: number;
  /** Infinity for COALESCE. */
  readonly maxArgs: number;
  /** Allowed argument counts when they are not a range (DISTANCE: 2 or 4). */
  readonly argCounts?: readonly number[];
}

function define(
  category: FunctionCategory,
  names: string,
  minArgs: number,
  maxArgs = minArgs,
): BuiltinFunction[] {
  return names.split(' ').map((name) => ({ name, category, minArgs, maxArgs }));
}

const table: readonly BuiltinFunction[] = [
  ...define('math', 'ABS CEILING DEGREES EXP FLOOR LOG LOG10 RADIANS SQRT', 1),
  ...define('math', 'MOD POWER', 2),
  ...define('math', 'PI', 0),
  ...define('math', 'RAND', 0, 1),
  ...define('math', 'ROUND TRUNCATE', 1, 2),
  ...define('trig', 'ACOS ASIN ATAN COS COT SIN TAN', 1),
  ...define('trig', 'ATAN2', 2),
  ...define('string', 'LOWER UPPER', 1),
  ...define('conditional', 'COALESCE', 1, Infinity),
  ...define('unit', 'IN_UNIT', 2),
  ...define('geometry', 'AREA CENTROID COORD1 COORD2 COORDSYS', 1),
  ...define('geometry', 'CONTAINS INTERSECTS', 2),
  // MOC('ascii') and MOC(order, geometry): RegTAP 1.2's MOC literals, for rr.stc_spatial.
  ...define('geometry', 'MOC', 1, 2),
  { name: 'DISTANCE', category: 'geometry', minArgs: 2, maxArgs: 4, argCounts: [2, 4] },
  // TIMESTAMP('...') as in the ADQL 2.1 drafts; same as CAST('...' AS TIMESTAMP).
  ...define('time', 'TIMESTAMP', 1),
];

export const builtinFunctions: ReadonlyMap<string, BuiltinFunction> = new Map(
  table.map((f) => [f.name, f]),
);

/** Describes the accepted argument counts, e.g. "1 argument", "2 or 4 arguments". */
export function describeArity(f: BuiltinFunction): string {
  const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments');
  if (f.argCounts) return `${f.argCounts.join(' or ')} arguments`;
  if (f.maxArgs === Infinity) return `at least ${f.minArgs} ${plural(f.minArgs)}`;
  if (f.minArgs === f.maxArgs)
    return f.minArgs === 0 ? 'no arguments' : `${f.minArgs} ${plural(f.minArgs)}`;
  return `${f.minArgs} to ${f.maxArgs} arguments`;
}

export function acceptsArgCount(f: BuiltinFunction, count: number): boolean {
  if (f.argCounts) return f.argCounts.includes(count);
  return count >= f.minArgs && count <= f.maxArgs;
}
