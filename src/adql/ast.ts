/**
 * The ADQL syntax tree: plain, frozen data with the source position of every node.
 * The parser builds it; resolution and annotation describe it in side tables and never
 * change it; the SQL compiler walks it.
 */
import type { SourcePosition } from './errors.js';

export interface Identifier {
  /** The name as written (without quotes for delimited identifiers). */
  readonly name: string;
  /** True for "delimited" identifiers, which match case-sensitively. */
  readonly delimited: boolean;
  readonly at: SourcePosition;
}

// ---------------------------------------------------------------- queries

/** A full query: optional WITH, a body (SELECT or set operation), ORDER BY, OFFSET. */
export interface Query {
  readonly kind: 'query';
  readonly with: readonly WithQuery[];
  readonly body: QueryBody;
  readonly orderBy: readonly OrderItem[];
  readonly offset?: number;
  readonly at: SourcePosition;
}

export type QueryBody = SelectCore | SetOperation | Query;

export interface WithQuery {
  readonly name: Identifier;
  readonly columns?: readonly Identifier[];
  readonly query: Query;
  readonly at: SourcePosition;
}

export interface SelectCore {
  readonly kind: 'select';
  readonly distinct: boolean;
  readonly top?: number;
  readonly items: readonly SelectItem[];
  readonly from: readonly FromItem[];
  readonly where?: Expression;
  readonly groupBy: readonly Expression[];
  readonly having?: Expression;
  readonly at: SourcePosition;
}

export type SetOperator = 'UNION' | 'EXCEPT' | 'INTERSECT';

export interface SetOperation {
  readonly kind: 'setop';
  readonly op: SetOperator;
  readonly all: boolean;
  readonly left: QueryBody;
  readonly right: QueryBody;
  readonly at: SourcePosition;
}

export type SelectItem = AllColumns | DerivedColumn;

/** `*` (no qualifier) or `t.*`. */
export interface AllColumns {
  readonly kind: 'allColumns';
  readonly qualifier?: readonly Identifier[];
  readonly at: SourcePosition;
}

export interface DerivedColumn {
  readonly kind: 'derivedColumn';
  readonly expr: Expression;
  readonly alias?: Identifier;
  readonly at: SourcePosition;
}

export interface OrderItem {
  readonly expr: Expression;
  readonly descending: boolean;
  readonly at: SourcePosition;
}

// ---------------------------------------------------------------- FROM

export type FromItem = TableReference | DerivedTable | Join;

export interface TableReference {
  readonly kind: 'table';
  /** [schema, table] or [table] (or [catalog, schema, table], rejected later). */
  readonly name: readonly Identifier[];
  readonly alias?: Identifier;
  readonly at: SourcePosition;
}

export interface DerivedTable {
  readonly kind: 'derivedTable';
  readonly query: Query;
  /** The grammar requires one: <derived_table> <correlation_specification>. */
  readonly alias: Identifier;
  readonly at: SourcePosition;
}

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';

export interface Join {
  readonly kind: 'join';
  readonly type: JoinType;
  readonly natural: boolean;
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on?: Expression;
  readonly using?: readonly Identifier[];
  readonly at: SourcePosition;
}

// ---------------------------------------------------------------- expressions

export type Expression =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral
  | ColumnReference
  | UnaryOperation
  | BinaryOperation
  | FunctionCall
  | AggregateCall
  | Cast
  | PointConstructor
  | CircleConstructor
  | BoxConstructor
  | PolygonConstructor
  | RegionConstructor
  | ScalarSubquery
  | Comparison
  | Between
  | InPredicate
  | Like
  | NullTest
  | Exists
  | Logical
  | Not;

export type NumberKind = 'integer' | 'decimal' | 'real' | 'hex';

export interface NumberLiteral {
  readonly kind: 'number';
  readonly numberKind: NumberKind;
  /** The literal as written. */
  readonly text: string;
  readonly at: SourcePosition;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly at: SourcePosition;
}

export interface BooleanLiteral {
  readonly kind: 'boolean';
  readonly value: boolean;
  readonly at: SourcePosition;
}

export interface NullLiteral {
  readonly kind: 'null';
  readonly at: SourcePosition;
}

/** `col`, `t.col`, `schema.t.col` */
export interface ColumnReference {
  readonly kind: 'column';
  readonly parts: readonly Identifier[];
  readonly at: SourcePosition;
}

export interface UnaryOperation {
  readonly kind: 'unary';
  readonly op: '-' | '+';
  readonly operand: Expression;
  readonly at: SourcePosition;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | '||';

export interface BinaryOperation {
  readonly kind: 'binary';
  readonly op: ArithmeticOperator;
  readonly left: Expression;
  readonly right: Expression;
  readonly at: SourcePosition;
}

/**
 * A call of a built-in function (name in upper case, e.g. 'SIN', 'CONTAINS', 'LOWER')
 * or of a user-defined function (`udf` true, name in lower case).
 */
export interface FunctionCall {
  readonly kind: 'call';
  readonly name: string;
  readonly udf: boolean;
  readonly args: readonly Expression[];
  readonly at: SourcePosition;
}

export type AggregateName = 'COUNT' | 'AVG' | 'MIN' | 'MAX' | 'SUM';

export interface AggregateCall {
  readonly kind: 'aggregate';
  readonly name: AggregateName;
  readonly distinct: boolean;
  /** Undefined for COUNT(*). */
  readonly arg?: Expression;
  readonly at: SourcePosition;
}

export type CastTypeName =
  | 'SMALLINT'
  | 'INTEGER'
  | 'BIGINT'
  | 'REAL'
  | 'DOUBLE PRECISION'
  | 'CHAR'
  | 'VARCHAR'
  | 'TIMESTAMP'
  | 'POINT'
  | 'CIRCLE'
  | 'POLYGON';

export interface Cast {
  readonly kind: 'cast';
  readonly operand: Expression;
  readonly target: CastTypeName;
  /** CHAR(n) / VARCHAR(n) */
  readonly length?: number;
  readonly at: SourcePosition;
}

/** POINT([coordsys,] ra, dec) */
export interface PointConstructor {
  readonly kind: 'pointConstructor';
  readonly coordSys?: Expression;
  readonly ra: Expression;
  readonly dec: Expression;
  readonly at: SourcePosition;
}

/** CIRCLE([coordsys,] ra, dec, radius) or CIRCLE([coordsys,] point, radius) */
export interface CircleConstructor {
  readonly kind: 'circleConstructor';
  readonly coordSys?: Expression;
  readonly center: Center;
  readonly radius: Expression;
  readonly at: SourcePosition;
}

/** BOX([coordsys,] ra, dec, width, height) or BOX([coordsys,] point, width, height) */
export interface BoxConstructor {
  readonly kind: 'boxConstructor';
  readonly coordSys?: Expression;
  readonly center: Center;
  readonly width: Expression;
  readonly height: Expression;
  readonly at: SourcePosition;
}

export type Center =
  | { readonly kind: 'coordinates'; readonly ra: Expression; readonly dec: Expression }
  | { readonly kind: 'point'; readonly point: Expression };

/** POLYGON([coordsys,] ra1, dec1, ra2, dec2, ...) or POLYGON([coordsys,] p1, p2, p3, ...) */
export interface PolygonConstructor {
  readonly kind: 'polygonConstructor';
  readonly coordSys?: Expression;
  /** Either all numeric (pairs of coordinates) or all points; told apart when typed. */
  readonly args: readonly Expression[];
  readonly at: SourcePosition;
}

/** REGION('STC-S'), deprecated and parsed only to give a clear error. */
export interface RegionConstructor {
  readonly kind: 'regionConstructor';
  readonly arg: Expression;
  readonly at: SourcePosition;
}

export interface ScalarSubquery {
  readonly kind: 'scalarSubquery';
  readonly query: Query;
  readonly at: SourcePosition;
}

// ---------------------------------------------------------------- conditions

export type ComparisonOperator = '=' | '<>' | '<' | '>' | '<=' | '>=';

export interface Comparison {
  readonly kind: 'comparison';
  readonly op: ComparisonOperator;
  readonly left: Expression;
  readonly right: Expression;
  readonly at: SourcePosition;
}

export interface Between {
  readonly kind: 'between';
  readonly negated: boolean;
  readonly value: Expression;
  readonly low: Expression;
  readonly high: Expression;
  readonly at: SourcePosition;
}

export interface InPredicate {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly value: Expression;
  /** Either a list of values or a subquery. */
  readonly list?: readonly Expression[];
  readonly query?: Query;
  readonly at: SourcePosition;
}

export interface Like {
  readonly kind: 'like';
  readonly negated: boolean;
  readonly caseInsensitive: boolean;
  readonly value: Expression;
  readonly pattern: Expression;
  readonly at: SourcePosition;
}

export interface NullTest {
  readonly kind: 'nullTest';
  readonly negated: boolean;
  readonly value: Expression;
  readonly at: SourcePosition;
}

export interface Exists {
  readonly kind: 'exists';
  readonly query: Query;
  readonly at: SourcePosition;
}

/** a AND b AND c ...: one node for a whole chain, so long OR lists stay shallow. */
export interface Logical {
  readonly kind: 'logical';
  readonly op: 'AND' | 'OR';
  /** Two or more conditions. */
  readonly operands: readonly Expression[];
  readonly at: SourcePosition;
}

export interface Not {
  readonly kind: 'not';
  readonly operand: Expression;
  readonly at: SourcePosition;
}

const conditionKinds: ReadonlySet<Expression['kind']> = new Set([
  'comparison',
  'between',
  'in',
  'like',
  'nullTest',
  'exists',
  'logical',
  'not',
]);

/** True for search conditions (predicates, AND/OR/NOT), which are not values. */
export function isCondition(expr: Expression): boolean {
  return conditionKinds.has(expr.kind);
}

const depths = new WeakMap<object, number>();

/** Levels of nodes below and including this one (1 for a leaf). */
export function treeDepth(value: object): number {
  return depths.get(value) ?? 1;
}

/**
 * Freezes a freshly built node and its lists (children are frozen when they are built),
 * and records its depth, which later stages use to refuse trees too deep to walk.
 */
export function node<T extends object>(value: T): T {
  let deepest = 0;
  for (const field of Object.values(value)) {
    if (Array.isArray(field)) {
      Object.freeze(field);
      for (const item of field)
        if (typeof item === 'object' && item !== null) deepest = Math.max(deepest, treeDepth(item));
    } else if (typeof field === 'object' && field !== null) {
      deepest = Math.max(deepest, treeDepth(field));
    }
  }
  if (deepest > 0) depths.set(value, deepest + 1);
  return Object.freeze(value);
}
