/**
 * Recursive-descent parser for ADQL 2.1 (the grammar of the standard's Appendix A,
 * with all optional features: geometry, string functions, set operators, WITH, CAST,
 * COALESCE, IN_UNIT, OFFSET, user-defined functions). Output: a frozen syntax tree.
 *
 * Small extensions that real queries and the standard's own examples use: `%` as
 * modulo, CROSS JOIN, scalar subqueries, TRUE/FALSE, TIMESTAMP('...'), and one
 * trailing semicolon. Where the grammar is stricter than SQL engines (a correlation
 * name on every subquery in FROM, WITH only at the start of the query, no geometry in
 * `||`, functions ADQL or the service defines) the parser holds to it. A geometry in a
 * comparison is grammatical (<comparison_predicate> takes any <value_expression>); the
 * types are checked when names are resolved.
 */
import {
  type AggregateCall,
  type AggregateName,
  type ArithmeticOperator,
  type CastTypeName,
  type Center,
  type ComparisonOperator,
  type Expression,
  type FromItem,
  type Identifier,
  isCondition,
  type JoinType,
  node,
  treeDepth,
  type OrderItem,
  type Query,
  type QueryBody,
  type SelectCore,
  type SelectItem,
  type WithQuery,
} from './ast.js';
import { AdqlError, type SourcePosition } from './errors.js';
import { acceptsArgCount, builtinFunctions, describeArity } from './functions.js';
import { findUserDefinedFunction, unknownFunction } from './udfs.js';
import { isReserved } from './keywords.js';
import { type Token, tokenize } from './lexer.js';

export interface ParseOptions {
  /**
   * Names of user-defined functions declared beyond the service's own (TAPRegExt
   * features-udf), e.g. to check queries meant for another service.
   */
  readonly functions?: Iterable<string>;
}

/** Parses one ADQL query; throws AdqlError with line and column on any syntax error. */
export function parseAdql(text: string, options: ParseOptions = {}): Query {
  return new Parser(tokenize(text), options).parseStatement();
}

/** Parses a single value expression (used by tests and tools). */
export function parseAdqlExpression(text: string, options: ParseOptions = {}): Expression {
  const parser = new Parser(tokenize(text), options);
  return parser.parseStandaloneExpression();
}

const aggregateNames: ReadonlySet<string> = new Set(['COUNT', 'AVG', 'MIN', 'MAX', 'SUM']);
const comparisonOperators: ReadonlySet<string> = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);
/** Deepest nesting of parentheses and subqueries accepted; keeps the stack safe. */
const maxDepth = 200;
/** Deepest syntax tree accepted (long chains of operators count): later stages recurse over it. */
const maxTreeDepth = 1000;
/** Most parts of a table name (catalog.schema.table) and of a column reference (… .column). */
const maxTableNameParts = 3;

/** The geometry an expression certainly is, from its form alone (columns are typed later). */
function geometryForm(e: Expression): string | undefined {
  switch (e.kind) {
    case 'pointConstructor':
      return 'a POINT';
    case 'circleConstructor':
      return 'a CIRCLE';
    case 'boxConstructor':
      return 'a BOX';
    case 'polygonConstructor':
      return 'a POLYGON';
    case 'regionConstructor':
      return 'a REGION';
    case 'call':
      return e.name === 'CENTROID' ? 'a POINT (CENTROID)' : undefined;
    case 'cast':
      return ['POINT', 'CIRCLE', 'POLYGON'].includes(e.target) ? `a ${e.target}` : undefined;
    default:
      return undefined;
  }
}

/**
 * The first aggregate call in an expression, not counting those inside subqueries
 * (SQL-92 §7.6, which ADQL builds on: a WHERE condition contains no set function).
 */
function aggregateOutsideSubqueries(value: unknown): AggregateCall | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'aggregate') return value as AggregateCall;
  if (kind === 'query' || kind === 'select' || kind === 'setop') return undefined;
  for (const child of Object.values(value)) {
    const found = aggregateOutsideSubqueries(child);
    if (found) return found;
  }
  return undefined;
}

/**
 * Whether an expression can stand where the grammar wants a <coord_value>: a column
 * reference or a point-valued function (POINT, CENTROID, a user-defined function).
 */
function isCoordValue(e: Expression): boolean {
  switch (e.kind) {
    case 'column':
    case 'pointConstructor':
    case 'call':
      return true;
    case 'cast':
      return e.target === 'POINT';
    default:
      return false;
  }
}

function describeForm(e: Expression): string {
  if (e.kind === 'number' || (e.kind === 'unary' && e.operand.kind === 'number')) return 'a number';
  if (e.kind === 'string') return 'a string';
  if (e.kind === 'null') return 'NULL';
  return 'an arithmetic expression';
}

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly declared: ReadonlySet<string>;

  constructor(
    private readonly tokens: readonly Token[],
    options: ParseOptions,
  ) {
    this.declared = new Set([...(options.functions ?? [])].map((f) => f.toLowerCase()));
  }

  // ------------------------------------------------------------ token helpers

  private get token(): Token {
    return this.tokens[this.pos] as Token;
  }

  private peek(ahead = 1): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.token;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  /** True when the current token is the keyword (identifier, not delimited) `word`. */
  private isKeyword(word: string, t: Token = this.token): boolean {
    return t.kind === 'identifier' && t.upper === word;
  }

  private isSymbol(symbol: string, t: Token = this.token): boolean {
    return t.kind === 'symbol' && t.text === symbol;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.pos++;
    return true;
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.pos++;
    return true;
  }

  private expectKeyword(word: string, context: string): Token {
    if (!this.isKeyword(word)) throw this.unexpected(`${word} ${context}`);
    return this.next();
  }

  private expectSymbol(symbol: string, context: string): Token {
    if (!this.isSymbol(symbol)) throw this.unexpected(`'${symbol}' ${context}`);
    return this.next();
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'the end of the query';
      case 'identifier':
        return isReserved(t.text) ? `keyword ${t.upper}` : `'${t.text}'`;
      case 'delimited':
        return `"${t.text}"`;
      case 'string':
        return `string '${t.text.length > 30 ? `${t.text.slice(0, 30)}...` : t.text}'`;
      case 'symbol':
        return `'${t.text}'`;
      default:
        return `number ${t.text}`;
    }
  }

  private unexpected(expected: string, t: Token = this.token): AdqlError {
    return new AdqlError(`expected ${expected}, found ${this.describe(t)}`, t.at);
  }

  private enter(at: SourcePosition): void {
    if (++this.depth > maxDepth) throw new AdqlError('the query is nested too deeply', at);
  }

  private leave(): void {
    this.depth--;
  }

  // ------------------------------------------------------------ names

  private isNameToken(t: Token = this.token): boolean {
    return t.kind === 'delimited' || (t.kind === 'identifier' && !isReserved(t.text));
  }

  private identifier(what: string): Identifier {
    const t = this.token;
    if (t.kind === 'delimited') {
      this.pos++;
      return node({ name: t.text, delimited: true, at: t.at });
    }
    if (t.kind === 'identifier') {
      if (isReserved(t.text)) {
        throw new AdqlError(
          `expected ${what}, found ${t.upper}, which is a reserved word; to use it as a name, write it in double quotes: "${t.text}"`,
          t.at,
        );
      }
      this.pos++;
      return node({ name: t.text, delimited: false, at: t.at });
    }
    throw this.unexpected(what);
  }

  /**
   * A dotted name: a.b.c. After a dot a reserved word is unambiguous and accepted as a
   * name (the standard's own crossmatch example uses t1.point).
   */
  private dottedName(what: string, maxParts: number): Identifier[] {
    const at = this.token.at;
    const parts = [this.identifier(what)];
    while (this.isSymbol('.') && this.peek().kind !== 'symbol') {
      this.pos++;
      const t = this.token;
      if (t.kind === 'identifier') {
        this.pos++;
        parts.push(node({ name: t.text, delimited: false, at: t.at }));
      } else parts.push(this.identifier(what));
    }
    if (parts.length > maxParts) {
      const form = ['catalog', 'schema', 'table', 'column'].slice(0, maxParts).join('.');
      throw new AdqlError(
        `'${parts.map((p) => (p.delimited ? `"${p.name}"` : p.name)).join('.')}' has ${parts.length} parts, but ${what} has at most ${maxParts} (${form})`,
        at,
      );
    }
    return parts;
  }

  private optionalAlias(): Identifier | undefined {
    // Not an alias: the LIMIT n that users bring from other SQL dialects.
    if (this.isKeyword('LIMIT') && this.peek().kind === 'integer') return undefined;
    if (this.acceptKeyword('AS')) return this.identifier('an alias after AS');
    if (this.isNameToken()) return this.identifier('an alias');
    return undefined;
  }

  private unsignedInteger(what: string): number {
    const t = this.token;
    if (t.kind !== 'integer') throw this.unexpected(what);
    this.pos++;
    const value = Number(t.text);
    if (!Number.isSafeInteger(value))
      throw new AdqlError(`${t.text} is too large for ${what}`, t.at);
    return value;
  }

  // ------------------------------------------------------------ queries

  parseStatement(): Query {
    const first = this.token;
    if (first.kind === 'eof') throw new AdqlError('the query is empty', first.at);
    const query = this.checkTreeDepth(this.query(true));
    this.acceptSymbol(';');
    const t = this.token;
    if (t.kind !== 'eof') {
      if (this.isSymbol(')')) throw new AdqlError("unbalanced ')': there is no '(' to close", t.at);
      throw new AdqlError(`unexpected ${this.describe(t)} after the end of the query`, t.at);
    }
    return query;
  }

  parseStandaloneExpression(): Expression {
    const expr = this.expression();
    if (this.token.kind !== 'eof')
      throw new AdqlError(
        `unexpected ${this.describe(this.token)} after the expression`,
        this.token.at,
      );
    return expr;
  }

  /** A query; only the whole query (`outermost`) may open with WITH (ADQL 2.1 <query_specification>). */
  private query(outermost = false): Query {
    const at = this.token.at;
    this.enter(at);
    const withQueries: WithQuery[] = [];
    if (this.isKeyword('WITH') && !outermost) throw this.misplacedWith();
    if (this.acceptKeyword('WITH')) {
      do withQueries.push(this.withQuery());
      while (this.acceptSymbol(','));
    }
    if (!this.isKeyword('SELECT') && !this.isSymbol('(')) {
      throw this.unexpected(withQueries.length > 0 ? 'SELECT after the WITH queries' : 'SELECT');
    }
    const body = this.setExpression();
    const orderBy: OrderItem[] = [];
    if (this.acceptKeyword('ORDER')) {
      this.expectKeyword('BY', 'after ORDER');
      do orderBy.push(this.orderItem());
      while (this.acceptSymbol(','));
    }
    let offset: number | undefined;
    if (this.acceptKeyword('OFFSET')) offset = this.unsignedInteger('a whole number after OFFSET');
    if (this.isKeyword('LIMIT')) {
      throw new AdqlError(
        'ADQL has no LIMIT clause: write SELECT TOP n ... instead',
        this.token.at,
      );
    }
    this.leave();
    return node({ kind: 'query', with: withQueries, body, orderBy, offset, at });
  }

  private misplacedWith(): AdqlError {
    return new AdqlError(
      'WITH may only open the whole query, not a subquery, a WITH query or an operand of UNION, EXCEPT or INTERSECT: move these WITH queries to the start',
      this.token.at,
    );
  }

  private withQuery(): WithQuery {
    const at = this.token.at;
    const name = this.identifier('a name for the WITH query');
    let columns: Identifier[] | undefined;
    if (this.acceptSymbol('(')) {
      columns = [];
      do columns.push(this.identifier('a column name'));
      while (this.acceptSymbol(','));
      this.expectSymbol(')', 'after the column names');
    }
    this.expectKeyword('AS', `after the name of WITH query ${name.name}`);
    this.expectSymbol('(', 'before the WITH query');
    const query = this.query();
    this.expectSymbol(')', 'after the WITH query');
    return node({ name, columns, query, at });
  }

  private setExpression(): QueryBody {
    let left = this.setTerm();
    while (this.isKeyword('UNION') || this.isKeyword('EXCEPT')) {
      const t = this.next();
      const all = this.setQuantifier();
      const right = this.setTerm();
      left = node({ kind: 'setop', op: t.upper as 'UNION' | 'EXCEPT', all, left, right, at: t.at });
    }
    return left;
  }

  private setTerm(): QueryBody {
    let left = this.setPrimary();
    while (this.isKeyword('INTERSECT')) {
      const t = this.next();
      const all = this.setQuantifier();
      const right = this.setPrimary();
      left = node({ kind: 'setop', op: 'INTERSECT', all, left, right, at: t.at });
    }
    return left;
  }

  private setQuantifier(): boolean {
    if (this.acceptKeyword('ALL')) return true;
    this.acceptKeyword('DISTINCT');
    return false;
  }

  private setPrimary(): QueryBody {
    if (this.isSymbol('(')) {
      this.next();
      const inner = this.query();
      this.expectSymbol(')', 'to close the parenthesised query');
      return inner;
    }
    if (this.isKeyword('WITH')) throw this.misplacedWith();
    if (!this.isKeyword('SELECT')) throw this.unexpected('SELECT');
    return this.selectCore();
  }

  private selectCore(): SelectCore {
    const at = this.next().at;
    let distinct = false;
    if (this.acceptKeyword('DISTINCT')) distinct = true;
    else this.acceptKeyword('ALL');
    let top: number | undefined;
    if (this.acceptKeyword('TOP')) top = this.unsignedInteger('a whole number after TOP');
    if (this.isKeyword('FROM')) {
      throw new AdqlError(
        'missing select list: name the columns to return (or use *) before FROM',
        this.token.at,
      );
    }
    const items: SelectItem[] = [];
    do items.push(this.selectItem());
    while (this.acceptSymbol(','));
    if (!this.isKeyword('FROM')) {
      if (this.token.kind === 'eof')
        throw new AdqlError(
          'missing FROM clause: ADQL queries must select FROM a table',
          this.token.at,
        );
      throw this.unexpected("',' or FROM");
    }
    this.next();
    const from: FromItem[] = [];
    do from.push(this.tableReference());
    while (this.acceptSymbol(','));
    let where: Expression | undefined;
    if (this.acceptKeyword('WHERE')) {
      where = this.condition('WHERE');
      const aggregate = aggregateOutsideSubqueries(where);
      if (aggregate) {
        throw new AdqlError(
          `aggregate function ${aggregate.name} cannot be used in WHERE; use HAVING`,
          aggregate.at,
        );
      }
    }
    const groupBy: Expression[] = [];
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY', 'after GROUP');
      do groupBy.push(this.value('in GROUP BY'));
      while (this.acceptSymbol(','));
    }
    let having: Expression | undefined;
    if (this.acceptKeyword('HAVING')) having = this.condition('HAVING');
    return node({ kind: 'select', distinct, top, items, from, where, groupBy, having, at });
  }

  private selectItem(): SelectItem {
    const t = this.token;
    if (this.acceptSymbol('*')) return node({ kind: 'allColumns', at: t.at });
    // t.* or schema.t.*
    if (this.isNameToken()) {
      let ahead = 0;
      while (this.isNameToken(this.peek(ahead)) && this.isSymbol('.', this.peek(ahead + 1))) {
        if (this.isSymbol('*', this.peek(ahead + 2))) {
          const qualifier = this.dottedName('a table name', maxTableNameParts);
          this.expectSymbol('.', 'before *');
          this.expectSymbol('*', 'after the table name');
          return node({ kind: 'allColumns', qualifier, at: t.at });
        }
        ahead += 2;
      }
    }
    const expr = this.value('in the select list');
    const alias = this.optionalAlias();
    return node({ kind: 'derivedColumn', expr, alias, at: t.at });
  }

  private orderItem(): OrderItem {
    const at = this.token.at;
    const expr = this.value('in ORDER BY');
    let descending = false;
    if (this.acceptKeyword('DESC')) descending = true;
    else this.acceptKeyword('ASC');
    return node({ expr, descending, at });
  }

  // ------------------------------------------------------------ FROM

  /** True when '(' at the current position opens a subquery rather than a join. */
  private opensSubquery(): boolean {
    let ahead = 0;
    // Deeper nesting fails anyway; stopping here keeps long runs of '(' linear.
    while (this.isSymbol('(', this.peek(ahead)) && ahead <= maxDepth) ahead++;
    const t = this.peek(ahead);
    return this.isKeyword('SELECT', t) || this.isKeyword('WITH', t);
  }

  private tableReference(): FromItem {
    let left = this.tablePrimary();
    for (;;) {
      const at = this.token.at;
      const natural = this.acceptKeyword('NATURAL');
      let type: JoinType | undefined;
      if (this.acceptKeyword('INNER')) type = 'INNER';
      else if (this.isKeyword('LEFT') || this.isKeyword('RIGHT') || this.isKeyword('FULL')) {
        type = this.next().upper as JoinType;
        this.acceptKeyword('OUTER');
      } else if (this.acceptKeyword('CROSS')) type = 'CROSS';
      if (!this.isKeyword('JOIN')) {
        if (natural || type !== undefined) throw this.unexpected('JOIN');
        return left;
      }
      this.next();
      if (natural && type === 'CROSS') throw new AdqlError('a CROSS JOIN cannot be NATURAL', at);
      const right = this.tablePrimary();
      let on: Expression | undefined;
      let using: Identifier[] | undefined;
      if ((natural || type === 'CROSS') && (this.isKeyword('ON') || this.isKeyword('USING'))) {
        throw new AdqlError(
          `a ${natural ? 'NATURAL' : 'CROSS'} JOIN takes no ${this.token.upper} condition`,
          this.token.at,
        );
      }
      if (type !== 'CROSS' && !natural) {
        if (this.acceptKeyword('ON')) on = this.condition('ON');
        else if (this.acceptKeyword('USING')) {
          this.expectSymbol('(', 'after USING');
          using = [];
          do using.push(this.identifier('a column name'));
          while (this.acceptSymbol(','));
          this.expectSymbol(')', 'after the USING columns');
        } else if (type === undefined || type === 'INNER') {
          // The BNF leaves <join_specification> optional; SQL-92 (§7.5, syntax rule 1),
          // which ADQL builds on, requires it for a non-natural inner join, and the IVOA
          // ADQL validation queries agree. An inner join without a condition is a CROSS
          // JOIN and must say so; outer joins without one are accepted (ON TRUE).
          throw new AdqlError(
            `${type === undefined ? 'JOIN' : 'INNER JOIN'} needs a join condition: add ON <condition> or USING (<columns>), or write CROSS JOIN or NATURAL JOIN`,
            at,
          );
        }
      }
      left = node({ kind: 'join', type: type ?? 'INNER', natural, left, right, on, using, at });
    }
  }

  private tablePrimary(): FromItem {
    const t = this.token;
    if (this.isSymbol('(')) {
      this.enter(t.at);
      let item: FromItem;
      if (this.opensSubquery()) {
        this.next();
        const query = this.query();
        this.expectSymbol(')', 'to close the subquery');
        const alias = this.optionalAlias();
        if (!alias) {
          throw new AdqlError(
            'a subquery in FROM needs a correlation name: write (SELECT ...) AS name',
            t.at,
          );
        }
        item = node({ kind: 'derivedTable', query, alias, at: t.at });
      } else {
        this.next();
        item = this.tableReference();
        this.expectSymbol(')', 'to close the parenthesised join');
      }
      this.leave();
      return item;
    }
    if (t.kind !== 'identifier' && t.kind !== 'delimited') throw this.unexpected('a table name', t);
    const name = this.dottedName('a table name', maxTableNameParts);
    const alias = this.optionalAlias();
    return node({ kind: 'table', name, alias, at: t.at });
  }

  // ------------------------------------------------------------ expressions

  /** A search condition (WHERE, HAVING, ON). */
  private condition(clause: string): Expression {
    const expr = this.expression();
    if (!isCondition(expr)) {
      const hint =
        expr.kind === 'call' && (expr.name === 'CONTAINS' || expr.name === 'INTERSECTS')
          ? `: ${expr.name} returns 0 or 1, so compare it, e.g. 1 = ${expr.name}(...)`
          : ' (such as a comparison)';
      throw new AdqlError(`${clause} needs a condition${hint}`, expr.at);
    }
    return expr;
  }

  /** A value expression (not a condition). */
  private value(where: string): Expression {
    const expr = this.expression();
    return this.checkValue(expr, where);
  }

  private checkValue(expr: Expression, where: string): Expression {
    if (isCondition(expr)) {
      throw new AdqlError(`a condition cannot be used as a value ${where}`, expr.at);
    }
    return expr;
  }

  private checkCondition(expr: Expression, where: string): Expression {
    if (!isCondition(expr))
      throw new AdqlError(`expected a condition ${where}, found a value`, expr.at);
    return expr;
  }

  expression(): Expression {
    return this.orExpression();
  }

  private orExpression(): Expression {
    return this.logical('OR', () => this.andExpression());
  }

  private andExpression(): Expression {
    return this.logical('AND', () => this.notExpression());
  }

  private logical(op: 'AND' | 'OR', operand: () => Expression): Expression {
    const first = operand();
    if (!this.isKeyword(op)) return first;
    const at = this.token.at;
    const operands = [this.checkCondition(first, `before ${op}`)];
    while (this.isKeyword(op)) {
      this.next();
      operands.push(this.checkCondition(operand(), `after ${op}`));
    }
    return this.checkTreeDepth(node({ kind: 'logical', op, operands, at }));
  }

  private checkTreeDepth<T extends object & { readonly at: SourcePosition }>(tree: T): T {
    if (treeDepth(tree) > maxTreeDepth) {
      throw new AdqlError(
        `the query is too deeply nested or chains too many operators (more than ${maxTreeDepth} levels); simplify it, e.g. with IN (...)`,
        tree.at,
      );
    }
    return tree;
  }

  private notExpression(): Expression {
    if (this.isKeyword('NOT')) {
      const t = this.next();
      this.enter(t.at);
      const operand = this.checkCondition(this.notExpression(), 'after NOT');
      this.leave();
      return node({ kind: 'not', operand, at: t.at });
    }
    return this.predicate();
  }

  private predicate(): Expression {
    if (this.isKeyword('EXISTS')) {
      const t = this.next();
      if (!this.isSymbol('(') || !this.opensSubquery())
        throw this.unexpected('a subquery in parentheses after EXISTS');
      return node({ kind: 'exists', query: this.parenthesisedQuery(), at: t.at });
    }
    const left = this.concatenation();
    const t = this.token;
    if (t.kind === 'symbol' && comparisonOperators.has(t.text)) {
      this.next();
      const right = this.concatenation();
      const op = (t.text === '!=' ? '<>' : t.text) as ComparisonOperator;
      const after = this.token;
      if (after.kind === 'symbol' && comparisonOperators.has(after.text)) {
        throw new AdqlError(
          `comparisons cannot be chained: write a ${t.text} b AND b ${after.text} c`,
          after.at,
        );
      }
      return node({
        kind: 'comparison',
        op,
        left: this.checkValue(left, `before '${t.text}'`),
        right: this.checkValue(right, `after '${t.text}'`),
        at: t.at,
      });
    }
    let negated = false;
    if (this.isKeyword('NOT')) {
      const following = this.peek();
      if (['BETWEEN', 'IN', 'LIKE', 'ILIKE'].some((w) => this.isKeyword(w, following))) {
        this.next();
        negated = true;
      }
    }
    if (this.isKeyword('BETWEEN')) {
      const op = this.next();
      const low = this.concatenation();
      this.expectKeyword('AND', 'between the bounds of BETWEEN');
      const high = this.concatenation();
      return node({
        kind: 'between',
        negated,
        value: this.checkValue(left, 'before BETWEEN'),
        low: this.checkValue(low, 'in BETWEEN'),
        high: this.checkValue(high, 'in BETWEEN'),
        at: op.at,
      });
    }
    if (this.isKeyword('IN')) {
      const op = this.next();
      const value = this.checkValue(left, 'before IN');
      if (!this.isSymbol('(')) throw this.unexpected("'(' after IN");
      if (this.opensSubquery()) {
        return node({ kind: 'in', negated, value, query: this.parenthesisedQuery(), at: op.at });
      }
      this.next();
      const list: Expression[] = [];
      do list.push(this.value('in the IN list'));
      while (this.acceptSymbol(','));
      this.expectSymbol(')', 'to close the IN list');
      return node({ kind: 'in', negated, value, list, at: op.at });
    }
    if (this.isKeyword('LIKE') || this.isKeyword('ILIKE')) {
      const op = this.next();
      const pattern = this.concatenation();
      if (this.isKeyword('ESCAPE'))
        throw new AdqlError('ADQL does not support ESCAPE in LIKE patterns', this.token.at);
      return node({
        kind: 'like',
        negated,
        caseInsensitive: op.upper === 'ILIKE',
        value: this.checkValue(left, `before ${op.upper}`),
        pattern: this.checkValue(pattern, `after ${op.upper}`),
        at: op.at,
      });
    }
    if (this.isKeyword('IS')) {
      const op = this.next();
      const isNegated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL', isNegated ? 'after IS NOT' : 'after IS');
      return node({
        kind: 'nullTest',
        negated: isNegated,
        value: this.checkValue(left, 'before IS'),
        at: op.at,
      });
    }
    return left;
  }

  private concatenation(): Expression {
    return this.leftAssociative(['||'], () => this.additive());
  }

  private additive(): Expression {
    return this.leftAssociative(['+', '-'], () => this.multiplicative());
  }

  private multiplicative(): Expression {
    return this.leftAssociative(['*', '/', '%'], () => this.unary());
  }

  /** operand { op operand } with the operators of one precedence level, left to right. */
  private leftAssociative(
    operators: readonly ArithmeticOperator[],
    operand: () => Expression,
  ): Expression {
    let left = operand();
    while (
      this.token.kind === 'symbol' &&
      (operators as readonly string[]).includes(this.token.text)
    ) {
      const t = this.next();
      const right = operand();
      if (t.text === '||') {
        for (const [side, e] of [
          ['left', left],
          ['right', right],
        ] as const) {
          const geometry = geometryForm(e);
          if (geometry)
            throw new AdqlError(`'||' joins strings, but its ${side} operand is ${geometry}`, t.at);
        }
      }
      left = node({
        kind: 'binary',
        op: t.text as ArithmeticOperator,
        left: this.checkValue(left, `before '${t.text}'`),
        right: this.checkValue(right, `after '${t.text}'`),
        at: t.at,
      });
    }
    return this.checkTreeDepth(left);
  }

  private unary(): Expression {
    if (this.isSymbol('-') || this.isSymbol('+')) {
      const t = this.next();
      this.enter(t.at);
      const operand = this.checkValue(this.unary(), `after '${t.text}'`);
      this.leave();
      return node({ kind: 'unary', op: t.text as '-' | '+', operand, at: t.at });
    }
    return this.primary();
  }

  private parenthesisedQuery(): Query {
    this.expectSymbol('(', 'before the subquery');
    const query = this.query();
    this.expectSymbol(')', 'to close the subquery');
    return query;
  }

  private primary(): Expression {
    const t = this.token;
    switch (t.kind) {
      case 'integer':
      case 'decimal':
      case 'real':
      case 'hex':
        this.next();
        return node({ kind: 'number', numberKind: t.kind, text: t.text, at: t.at });
      case 'string':
        this.next();
        return node({ kind: 'string', value: t.text, at: t.at });
      case 'delimited':
        return this.columnReference();
      case 'symbol':
        if (this.isSymbol('(')) {
          if (this.opensSubquery())
            return node({ kind: 'scalarSubquery', query: this.parenthesisedQuery(), at: t.at });
          this.next();
          this.enter(t.at);
          const inner = this.expression();
          this.leave();
          this.expectSymbol(')', 'to close the parenthesis');
          return inner;
        }
        throw this.unexpected('a value', t);
      case 'identifier':
        return this.identifierExpression(t);
      default:
        throw this.unexpected('a value', t);
    }
  }

  private identifierExpression(t: Token): Expression {
    const word = t.upper;
    const opensCall = this.isSymbol('(', this.peek());
    if (word === 'NULL') {
      this.next();
      return node({ kind: 'null', at: t.at });
    }
    if (word === 'TRUE' || word === 'FALSE') {
      this.next();
      return node({ kind: 'boolean', value: word === 'TRUE', at: t.at });
    }
    if (opensCall) {
      if (aggregateNames.has(word)) return this.aggregate(t);
      switch (word) {
        case 'CAST':
          return this.cast(t);
        case 'POINT':
          return this.point(t);
        case 'CIRCLE':
          return this.circle(t);
        case 'BOX':
          return this.box(t);
        case 'POLYGON':
          return this.polygon(t);
        case 'REGION': {
          const args = this.callArguments(t);
          if (args.length !== 1) throw new AdqlError('REGION takes 1 argument', t.at);
          return node({ kind: 'regionConstructor', arg: args[0] as Expression, at: t.at });
        }
      }
      const builtin = builtinFunctions.get(word);
      if (builtin) {
        const args = this.callArguments(t);
        if (!acceptsArgCount(builtin, args.length)) {
          throw new AdqlError(`${word} takes ${describeArity(builtin)}, not ${args.length}`, t.at);
        }
        return node({ kind: 'call', name: word, udf: false, args, at: t.at });
      }
      if (!isReserved(t.text)) {
        const name = t.text.toLowerCase();
        if (!findUserDefinedFunction(name) && !this.declared.has(name))
          throw unknownFunction(name, t.at);
        const args = this.callArguments(t);
        return node({ kind: 'call', name, udf: true, args, at: t.at });
      }
    }
    if (isReserved(t.text)) {
      if (
        aggregateNames.has(word) ||
        builtinFunctions.has(word) ||
        ['CAST', 'POINT', 'CIRCLE', 'BOX', 'POLYGON'].includes(word)
      ) {
        throw this.unexpected(`'(' after ${word}`, this.peek());
      }
      throw new AdqlError(
        `expected a value, found ${word}, which is a reserved word; to use it as a column name, write it in double quotes: "${t.text}"`,
        t.at,
      );
    }
    return this.columnReference();
  }

  private columnReference(): Expression {
    const at = this.token.at;
    const parts = this.dottedName('a column name', maxTableNameParts + 1);
    return node({ kind: 'column', parts, at });
  }

  private callArguments(name: Token): Expression[] {
    this.next();
    this.expectSymbol('(', `after ${name.upper}`);
    this.enter(name.at);
    const args: Expression[] = [];
    if (!this.isSymbol(')')) {
      do {
        if (this.isSymbol(')'))
          throw this.unexpected(`another argument of ${name.upper} after ','`);
        args.push(this.value(`as an argument of ${name.upper}`));
      } while (this.acceptSymbol(','));
    }
    this.expectSymbol(')', `to close the arguments of ${name.upper}`);
    this.leave();
    return args;
  }

  private aggregate(t: Token): Expression {
    this.next();
    this.expectSymbol('(', `after ${t.upper}`);
    const name = t.upper as AggregateName;
    if (name === 'COUNT' && this.acceptSymbol('*')) {
      this.expectSymbol(')', 'after COUNT(*');
      return node({ kind: 'aggregate', name, distinct: false, at: t.at });
    }
    let distinct = false;
    if (this.acceptKeyword('DISTINCT')) distinct = true;
    else this.acceptKeyword('ALL');
    this.enter(t.at);
    const arg = this.value(`as the argument of ${name}`);
    this.leave();
    this.expectSymbol(')', `to close ${name}(`);
    return node({ kind: 'aggregate', name, distinct, arg, at: t.at });
  }

  private cast(t: Token): Expression {
    this.next();
    this.expectSymbol('(', 'after CAST');
    this.enter(t.at);
    const operand = this.value('in CAST');
    this.leave();
    this.expectKeyword('AS', 'in CAST(value AS type)');
    const typeToken = this.token;
    let target: CastTypeName;
    let length: number | undefined;
    switch (typeToken.kind === 'identifier' ? typeToken.upper : '') {
      case 'SMALLINT':
      case 'INTEGER':
      case 'BIGINT':
      case 'REAL':
      case 'TIMESTAMP':
      case 'POINT':
      case 'CIRCLE':
      case 'POLYGON':
        target = this.next().upper as CastTypeName;
        break;
      case 'INT':
        this.next();
        target = 'INTEGER';
        break;
      case 'DOUBLE':
        this.next();
        this.expectKeyword('PRECISION', 'after DOUBLE');
        target = 'DOUBLE PRECISION';
        break;
      case 'CHAR':
      case 'VARCHAR':
        target = this.next().upper as CastTypeName;
        if (this.acceptSymbol('(')) {
          length = this.unsignedInteger('a length');
          if (length === 0)
            throw new AdqlError('a character length must be at least 1', typeToken.at);
          this.expectSymbol(')', 'after the length');
        }
        break;
      default:
        throw this.unexpected(
          'a type (SMALLINT, INTEGER, BIGINT, REAL, DOUBLE PRECISION, CHAR(n), VARCHAR(n), TIMESTAMP, POINT, CIRCLE or POLYGON)',
          typeToken,
        );
    }
    this.expectSymbol(')', 'to close CAST(');
    return node({ kind: 'cast', operand, target, length, at: t.at });
  }

  /**
   * Splits off the deprecated coordinate-system argument that may open a geometry
   * constructor: a string, or NULL when the count of arguments shows it is there
   * (`withCoordSys`: POINT(NULL, ra, dec) has 3 arguments, POINT(ra, dec) 2).
   */
  private geometryArguments(
    t: Token,
    withCoordSys: (count: number) => boolean,
  ): { coordSys?: Expression; args: Expression[] } {
    const all = this.callArguments(t);
    const first = all[0];
    const isCoordSys =
      first?.kind === 'string' || (first?.kind === 'null' && withCoordSys(all.length));
    return isCoordSys ? { coordSys: first, args: all.slice(1) } : { args: all };
  }

  private point(t: Token): Expression {
    const { coordSys, args } = this.geometryArguments(t, (n) => n === 3);
    if (args.length !== 2) {
      throw new AdqlError(
        `POINT takes a longitude and a latitude (and optionally a coordinate system first), not ${args.length} values`,
        t.at,
      );
    }
    return node({
      kind: 'pointConstructor',
      coordSys,
      ra: args[0] as Expression,
      dec: args[1] as Expression,
      at: t.at,
    });
  }

  /** The centre of CIRCLE/BOX: the first arguments, as a POINT or a longitude/latitude pair. */
  private center(t: Token, args: readonly Expression[], trailing: number, usage: string): Center {
    if (args.length === trailing + 2) {
      return Object.freeze({
        kind: 'coordinates',
        ra: args[0] as Expression,
        dec: args[1] as Expression,
      });
    }
    if (args.length === trailing + 1) {
      const point = args[0] as Expression;
      if (!isCoordValue(point)) {
        throw new AdqlError(
          `${t.upper} takes ${usage}: a centre given as one value must be a POINT or a column, not ${describeForm(point)}`,
          point.at,
        );
      }
      return Object.freeze({ kind: 'point', point });
    }
    throw new AdqlError(`${t.upper} takes ${usage}`, t.at);
  }

  private circle(t: Token): Expression {
    const { coordSys, args } = this.geometryArguments(t, (n) => n === 4);
    const center = this.center(
      t,
      args,
      1,
      'a centre (longitude, latitude or a POINT) and a radius',
    );
    const radius = args[args.length - 1] as Expression;
    return node({ kind: 'circleConstructor', coordSys, center, radius, at: t.at });
  }

  private box(t: Token): Expression {
    const { coordSys, args } = this.geometryArguments(t, (n) => n === 5);
    const center = this.center(
      t,
      args,
      2,
      'a centre (longitude, latitude or a POINT), a width and a height',
    );
    const [width, height] = args.slice(-2) as [Expression, Expression];
    return node({ kind: 'boxConstructor', coordSys, center, width, height, at: t.at });
  }

  private polygon(t: Token): Expression {
    // NULL then an even number of coordinates (at least 3 pairs).
    const { coordSys, args } = this.geometryArguments(t, (n) => n >= 7 && n % 2 === 1);
    const numeric = args.some(
      (a) => a.kind === 'number' || (a.kind === 'unary' && a.operand.kind === 'number'),
    );
    if (args.length < 3 || (numeric && (args.length < 6 || args.length % 2 !== 0))) {
      throw new AdqlError(
        `POLYGON needs at least three vertices, given as longitude/latitude pairs or as points (found ${args.length} values)`,
        t.at,
      );
    }
    return node({ kind: 'polygonConstructor', coordSys, args, at: t.at });
  }
}
