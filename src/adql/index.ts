/** Public API of the ADQL module: parse → resolve/annotate → compile. */
export { AdqlError, type SourcePosition } from './errors.js';
export { parseAdql, parseAdqlExpression } from './parser.js';
export type * from './ast.js';
