/** ADQL syntax highlighting for the editor: tokens as spans, one of them marked as the error. */
import { h } from './dom.js';

const KEYWORDS = new Set(
  `SELECT FROM WHERE AND OR NOT AS ON JOIN LEFT RIGHT FULL OUTER INNER NATURAL CROSS USING GROUP BY ORDER
HAVING ASC DESC TOP DISTINCT ALL IN BETWEEN LIKE ILIKE IS NULL EXISTS UNION INTERSECT EXCEPT WITH CASE WHEN
THEN ELSE END OFFSET TRUE FALSE`
    .split(/\s+/)
    .filter(Boolean),
);
const FUNCTIONS = new Set(
  `CONTAINS INTERSECTS POINT CIRCLE POLYGON BOX REGION DISTANCE AREA CENTROID COORD1 COORD2 COORDSYS COUNT SUM
AVG MIN MAX ABS CEILING FLOOR ROUND TRUNCATE SQRT POWER EXP LOG LOG10 SIN COS TAN ASIN ACOS ATAN ATAN2 PI
RAND MOD DEGREES RADIANS LOWER UPPER CAST COALESCE SUBSTRING IN_UNIT GEOMETRY`
    .split(/\s+/)
    .filter(Boolean),
);

const TOKEN =
  /(--[^\n]*)|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_][\w$]*)|(\s+)|(.)/gy;

/** Offset in `text` of (line, column), both from 1. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + column - 1);
}

/** The highlighted text as nodes; the token at `errorAt` (an offset) is marked. */
export function highlight(text: string, errorAt?: number): Node[] {
  const nodes: Node[] = [];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  let marked = false;
  while ((match = TOKEN.exec(text)) !== null) {
    const [token] = match;
    const start = match.index;
    let cls: string | undefined;
    if (match[1]) cls = 'tok-cmt';
    else if (match[2]) cls = 'tok-str';
    else if (match[4]) cls = 'tok-num';
    else if (match[5]) {
      const upper = token.toUpperCase();
      cls = KEYWORDS.has(upper) ? 'tok-kw' : FUNCTIONS.has(upper) ? 'tok-fn' : undefined;
    }
    const isError =
      !marked &&
      errorAt !== undefined &&
      !match[6] &&
      errorAt >= start &&
      errorAt < start + token.length;
    if (isError) {
      marked = true;
      cls = `${cls ?? ''} tok-err`.trim();
    }
    nodes.push(cls ? h('span', { class: cls }, token) : document.createTextNode(token));
  }
  // An error at the very end (e.g. a query that stops too early): mark the end.
  if (!marked && errorAt !== undefined && errorAt >= text.length)
    nodes.push(h('span', { class: 'tok-err' }, ' '));
  // A final newline needs a character after it to take up its line.
  nodes.push(document.createTextNode('\n'));
  return nodes;
}
