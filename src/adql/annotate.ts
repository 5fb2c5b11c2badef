/**
 * The annotate stage's rules: the type and metadata (datatype, arraysize, xtype, unit,
 * UCD) of each kind of expression, and the checks that operands make sense together.
 * The resolver walks the tree and calls these once the operands are typed.
 */
import type {
  AggregateCall,
  ArithmeticOperator,
  Cast,
  Expression,
  FunctionCall,
  NumberLiteral,
} from './ast.js';
import { AdqlError, type SourcePosition } from './errors.js';
import {
  commonMetadata,
  describeKind,
  isGeometryKind,
  isNumericKind,
  kindOf,
  promoteNumeric,
  type ValueKind,
  type ValueType,
  types,
} from './types.js';
import { conversionFactor, UnitError } from './units.js';
import { findUserDefinedFunction } from './udfs.js';

const int32 = 2147483647;

/** The value of an integer or hexadecimal literal (hex wraps to a signed 64-bit value). */
export function integerLiteralValue(literal: NumberLiteral): bigint {
  if (literal.numberKind === 'hex') {
    const digits = literal.text.slice(2).replace(/^0+(?=.)/, '');
    if (digits.length > 16) {
      throw new AdqlError(
        `hexadecimal literal ${literal.text} does not fit in 64 bits (BIGINT)`,
        literal.at,
      );
    }
    return BigInt.asIntN(64, BigInt(`0x${digits}`));
  }
  return BigInt(literal.text);
}

export function numberLiteralType(literal: NumberLiteral): ValueType {
  if (!Number.isFinite(Number(literal.numberKind === 'hex' ? 0 : literal.text))) {
    throw new AdqlError(
      `the number ${literal.text} is too large for a double-precision value`,
      literal.at,
    );
  }
  if (literal.numberKind === 'decimal' || literal.numberKind === 'real') return types.double;
  const value = integerLiteralValue(literal);
  if (value >= -BigInt(int32) - 1n && value <= BigInt(int32)) return types.int;
  if (value >= -(2n ** 63n) && value < 2n ** 63n) return types.long;
  return types.double;
}

export function requireKind(
  type: ValueType,
  accepted: readonly ValueKind[],
  what: string,
  at: SourcePosition,
): ValueKind {
  const kind = kindOf(type);
  if (kind === 'null' || accepted.includes(kind)) return kind;
  const wanted = accepted.filter((k) => k !== 'null').map(describeKind);
  const list =
    wanted.length > 1 ? `${wanted.slice(0, -1).join(', ')} or ${wanted.at(-1)}` : wanted[0];
  throw new AdqlError(`${what} must be ${list}, not ${describeKind(kind)}`, at);
}

const numeric: readonly ValueKind[] = ['integer', 'real'];
const geometries: readonly ValueKind[] = ['point', 'circle', 'polygon'];
/** What CONTAINS and INTERSECTS compare: geometries and MOCs (RegTAP's coverage). */
const regions: readonly ValueKind[] = [...geometries, 'moc'];

export function arithmeticType(
  op: ArithmeticOperator,
  left: ValueType,
  right: ValueType,
  at: SourcePosition,
): ValueType {
  if (op === '||') {
    requireKind(left, ['string'], "the left operand of '||'", at);
    requireKind(right, ['string'], "the right operand of '||'", at);
    return types.string;
  }
  requireKind(left, numeric, `the left operand of '${op}'`, at);
  requireKind(right, numeric, `the right operand of '${op}'`, at);
  const datatype = promoteNumeric(left, right);
  if (op === '+' || op === '-') return { datatype, ...commonMetadata(left, right) };
  if (op === '%') return { datatype, unit: left.unit };
  return { datatype };
}

export function unaryType(operand: ValueType, op: string, at: SourcePosition): ValueType {
  requireKind(operand, numeric, `the operand of unary '${op}'`, at);
  return operand.isNull ? types.double : { ...operand, description: undefined };
}

/** Kinds that can be compared with =, <, BETWEEN, IN. */
export function checkComparable(a: ValueType, b: ValueType, at: SourcePosition): void {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'null' || kb === 'null') return;
  const family = (k: ValueKind): string =>
    isNumericKind(k) ? 'number' : k === 'boolean' ? 'boolean' : k;
  if (isGeometryKind(ka) || isGeometryKind(kb)) {
    throw new AdqlError(
      'geometries cannot be compared with comparison operators; use CONTAINS, INTERSECTS or DISTANCE',
      at,
    );
  }
  if (['moc', 'array', 'interval'].includes(ka) || ['moc', 'array', 'interval'].includes(kb)) {
    throw new AdqlError(
      `${describeKind(['moc', 'array', 'interval'].includes(ka) ? ka : kb)} cannot be compared`,
      at,
    );
  }
  // ADQL 2.1 §3.1.1: the literals 1 and 0 stand for TRUE and FALSE.
  if ((ka === 'boolean' && kb === 'integer') || (ka === 'integer' && kb === 'boolean')) return;
  // Timestamps compare with ISO 8601 strings.
  if ((ka === 'timestamp' && kb === 'string') || (ka === 'string' && kb === 'timestamp')) return;
  if (family(ka) !== family(kb)) {
    throw new AdqlError(`cannot compare ${describeKind(ka)} with ${describeKind(kb)}`, at);
  }
}

/** The type shared by the branches of COALESCE or of a set operation. */
export function commonType(
  values: readonly ValueType[],
  what: string,
  at: SourcePosition,
): ValueType {
  const present = values.filter((v) => !v.isNull);
  const first = present[0];
  if (first === undefined) return types.null;
  const kind = kindOf(first);
  let datatype = first.datatype;
  for (const v of present.slice(1)) {
    const k = kindOf(v);
    if (isNumericKind(kind) && isNumericKind(k)) {
      datatype = promoteNumeric({ datatype }, v);
    } else if (k !== kind && !(kind === 'timestamp' && k === 'string')) {
      throw new AdqlError(`${what} mixes ${describeKind(kind)} with ${describeKind(k)}`, at);
    }
  }
  return { ...first, datatype, arraysize: kind === 'string' ? '*' : first.arraysize };
}

function argument(args: readonly ValueType[], i: number): ValueType {
  return args[i] ?? types.null;
}

/** Geometry kinds CONTAINS and INTERSECTS accept, in either position. */
function checkRegionArguments(call: FunctionCall, args: readonly ValueType[]): void {
  call.args.forEach((arg, i) => {
    requireKind(argument(args, i), regions, `argument ${i + 1} of ${call.name}`, arg.at);
  });
  if (
    call.name === 'CONTAINS' &&
    kindOf(argument(args, 1)) === 'point' &&
    kindOf(argument(args, 0)) !== 'point'
  ) {
    throw new AdqlError(
      'CONTAINS(region, POINT) is always 0: the point is the first argument, CONTAINS(POINT, region)',
      call.at,
    );
  }
}

/** The type of a built-in or user-defined function call, checking its arguments. */
export function callType(call: FunctionCall, args: readonly ValueType[]): ValueType {
  const arg = (i: number): ValueType => argument(args, i);
  const need = (i: number, kinds: readonly ValueKind[]): ValueKind =>
    requireKind(arg(i), kinds, `argument ${i + 1} of ${call.name}`, call.args[i]?.at ?? call.at);
  if (call.udf) return udfType(call, args);
  switch (call.name) {
    case 'ABS':
      need(0, numeric);
      return arg(0).isNull ? types.double : { ...arg(0), description: undefined };
    case 'CEILING':
    case 'FLOOR':
    case 'ROUND':
    case 'TRUNCATE':
      need(0, numeric);
      if (call.args.length > 1) need(1, ['integer']);
      return { datatype: 'double', unit: arg(0).unit, ucd: arg(0).ucd };
    case 'MOD': {
      need(0, numeric);
      need(1, numeric);
      return { datatype: promoteNumeric(arg(0), arg(1)), unit: arg(0).unit };
    }
    case 'DEGREES':
      need(0, numeric);
      return { datatype: 'double', unit: 'deg' };
    case 'RADIANS':
      need(0, numeric);
      return { datatype: 'double', unit: 'rad' };
    case 'LOWER':
    case 'UPPER':
      need(0, ['string']);
      return { ...types.string, ucd: arg(0).ucd };
    case 'COALESCE':
      return commonType(args, 'COALESCE', call.at);
    case 'IN_UNIT':
      return inUnitType(call, args);
    case 'TIMESTAMP':
      need(0, ['string', 'timestamp']);
      return types.timestamp;
    case 'AREA':
      need(0, geometries);
      return { datatype: 'double', unit: 'deg**2', ucd: 'phys.angArea' };
    case 'CENTROID':
      need(0, geometries);
      return types.point;
    case 'CONTAINS':
    case 'INTERSECTS':
      checkRegionArguments(call, args);
      return types.int;
    case 'MOC':
      if (call.args.length === 1) need(0, ['string']);
      else {
        need(0, ['integer']);
        need(1, geometries);
      }
      return types.moc;
    case 'COORD1':
    case 'COORD2':
      need(0, ['point']);
      return {
        datatype: 'double',
        unit: 'deg',
        ucd: call.name === 'COORD1' ? 'pos.eq.ra' : 'pos.eq.dec',
      };
    case 'COORDSYS':
      need(0, geometries);
      return types.string;
    case 'DISTANCE':
      if (call.args.length === 2) {
        need(0, ['point']);
        need(1, ['point']);
      } else call.args.forEach((_, i) => need(i, numeric));
      return { datatype: 'double', unit: 'deg', ucd: 'pos.angDistance' };
    default:
      // trig, EXP, LOG, LOG10, SQRT, POWER, PI, RAND: doubles in, double out
      call.args.forEach((_, i) => need(i, numeric));
      return types.double;
  }
}

function inUnitType(call: FunctionCall, args: readonly ValueType[]): ValueType {
  const [value, unitArg] = call.args as [Expression, Expression];
  requireKind(argument(args, 0), numeric, 'the first argument of IN_UNIT', value.at);
  if (unitArg.kind !== 'string')
    throw new AdqlError("the unit of IN_UNIT must be a string literal, e.g. 'deg'", unitArg.at);
  const from = argument(args, 0).unit;
  if (from === undefined || from === '') {
    throw new AdqlError('IN_UNIT cannot convert this value: its unit is not known', value.at);
  }
  try {
    if (!Number.isFinite(conversionFactor(from, unitArg.value))) {
      throw new UnitError(`converting '${from}' to '${unitArg.value}' overflows`);
    }
  } catch (err) {
    if (err instanceof UnitError) throw new AdqlError(`IN_UNIT: ${err.message}`, unitArg.at);
    throw err;
  }
  return { datatype: 'double', unit: unitArg.value, ucd: argument(args, 0).ucd };
}

function udfType(call: FunctionCall, args: readonly ValueType[]): ValueType {
  const f = findUserDefinedFunction(call.name);
  if (!f) throw new AdqlError(`unknown function '${call.name}'`, call.at);
  if (call.args.length !== f.parameters.length) {
    const names = f.parameters.map((p) => p.name).join(', ');
    throw new AdqlError(
      `${f.name} takes ${f.parameters.length} arguments (${names}), not ${call.args.length}`,
      call.at,
    );
  }
  f.parameters.forEach((p, i) => {
    requireKind(
      argument(args, i),
      p.accepts,
      `argument ${p.name} of ${f.name}`,
      call.args[i]?.at ?? call.at,
    );
  });
  return f.returns;
}

export function aggregateType(agg: AggregateCall, arg: ValueType | undefined): ValueType {
  if (agg.name === 'COUNT') return { ...types.long, ucd: 'meta.number' };
  const type = arg ?? types.null;
  const where = `the argument of ${agg.name}`;
  if (agg.name === 'MIN' || agg.name === 'MAX') {
    requireKind(type, ['integer', 'real', 'string', 'timestamp', 'boolean'], where, agg.at);
    return type.isNull ? types.double : type;
  }
  const kind = requireKind(type, numeric, where, agg.at);
  if (agg.name === 'AVG') return { datatype: 'double', unit: type.unit, ucd: type.ucd };
  return { datatype: kind === 'integer' ? 'long' : 'double', unit: type.unit, ucd: type.ucd };
}

export function castType(cast: Cast, operand: ValueType): ValueType {
  const kind = kindOf(operand);
  const keep = { unit: operand.unit, ucd: operand.ucd };
  switch (cast.target) {
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'REAL':
    case 'DOUBLE PRECISION': {
      requireKind(
        operand,
        ['integer', 'real', 'string', 'boolean'],
        `the value cast to ${cast.target}`,
        cast.operand.at,
      );
      const datatype = (
        {
          SMALLINT: 'short',
          INTEGER: 'int',
          BIGINT: 'long',
          REAL: 'float',
          'DOUBLE PRECISION': 'double',
        } as const
      )[cast.target];
      return isNumericKind(kind) ? { datatype, ...keep } : { datatype };
    }
    case 'CHAR':
    case 'VARCHAR': {
      requireKind(
        operand,
        ['integer', 'real', 'string', 'boolean', 'timestamp'],
        `the value cast to ${cast.target}`,
        cast.operand.at,
      );
      const length = cast.length ?? (cast.target === 'CHAR' ? 1 : undefined);
      const arraysize =
        length === undefined ? '*' : cast.target === 'CHAR' ? String(length) : `${length}*`;
      return { datatype: 'char', arraysize };
    }
    case 'TIMESTAMP':
      requireKind(operand, ['string', 'timestamp'], 'the value cast to TIMESTAMP', cast.operand.at);
      return types.timestamp;
    default: {
      const wanted = cast.target.toLowerCase() as ValueKind;
      if (kind === wanted || kind === 'null')
        return operand.isNull
          ? types[
              cast.target === 'POINT' ? 'point' : cast.target === 'CIRCLE' ? 'circle' : 'polygon'
            ]
          : operand;
      throw new AdqlError(
        `CAST to ${cast.target} is not supported for ${describeKind(kind)}; build it with ${cast.target}(...) instead`,
        cast.at,
      );
    }
  }
}

/** The default name of a result column computed by `expr` (before de-duplication). */
export function defaultColumnName(expr: Expression): string {
  switch (expr.kind) {
    case 'column':
      return (expr.parts.at(-1) as { name: string }).name;
    case 'call':
      return expr.name.toLowerCase();
    case 'aggregate':
      return expr.name.toLowerCase();
    case 'pointConstructor':
      return 'point';
    case 'circleConstructor':
      return 'circle';
    case 'boxConstructor':
      return 'box';
    case 'polygonConstructor':
      return 'polygon';
    case 'cast':
      return expr.operand.kind === 'column' ? defaultColumnName(expr.operand) : 'cast';
    default:
      return 'expr';
  }
}
