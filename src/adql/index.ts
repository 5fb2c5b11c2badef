/**
 * Public API of the ADQL module: parse → resolve (names, against the published schema)
 * → annotate (result metadata) → compile (SQL for one database dialect).
 */
import type { PublishedSchema } from '../schema/types.js';
import type { CompileOptions, SqlDialect } from './compiler.js';
import { parseAdql } from './parser.js';
import { type ResolveOptions, resolveAdql } from './resolve.js';
import type { ResultColumn } from './types.js';

export { AdqlError, type SourcePosition } from './errors.js';
export { isReserved } from './keywords.js';
export { parseAdql, parseAdqlExpression } from './parser.js';
export {
  resolveAdql,
  type ResolvedQuery,
  type ResolveOptions,
  QueryAnnotations,
} from './resolve.js';
export {
  SqlCompiler,
  type CompileOptions,
  type RowVisibility,
  type SqlDialect,
} from './compiler.js';
export type { ResultColumn, ValueType } from './types.js';
export {
  coneCellRanges,
  coneInteriorCellRanges,
  healpixNestedCenter,
  healpixNestedIndex,
  type CellRanges,
} from './healpix.js';
export { asciiCellRanges, cellRangesAscii, GEOMETRY_MOC_ORDER, MOC_COMPILE_DEPTH } from './moc.js';
export {
  userDefinedFunctions,
  udfDeclarations,
  udfSignature,
  type UserDefinedFunction,
} from './udfs.js';
export {
  adqlLanguageFeatures,
  adqlVersion,
  type LanguageFeature,
  type LanguageFeatureGroup,
} from './features.js';
export type * from './ast.js';

export interface CompiledQuery {
  /** SQL for the dialect, with every identifier quoted and every literal escaped. */
  readonly sql: string;
  /** How to describe each result column (VOTable FIELD), in the SQL's column order. */
  readonly columns: readonly ResultColumn[];
}

/**
 * Compiles one ADQL query for a database. Throws AdqlError (with line and column) when
 * the query is not valid ADQL 2.1 or names something the schema does not publish.
 */
export function compileAdql(
  query: string,
  schema: PublishedSchema,
  dialect: SqlDialect,
  options: CompileOptions & ResolveOptions = {},
): CompiledQuery {
  const resolved = resolveAdql(parseAdql(query), schema, options);
  return { sql: dialect.compile(resolved, options), columns: resolved.columns };
}
