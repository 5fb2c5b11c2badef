/**
 * Name resolution against the published schema (plus per-query uploads): which table,
 * CTE or subquery each name refers to, with SQL's scoping rules (FROM items, joins with
 * USING/NATURAL, correlated subqueries, WITH). It types every expression with the
 * annotate rules and records everything the SQL compiler needs in side tables; the
 * syntax tree itself is never changed.
 */
import type {
  Center,
  ColumnReference,
  DerivedTable,
  Expression,
  FromItem,
  Identifier,
  Join,
  JoinType,
  OrderItem,
  Query,
  QueryBody,
  SelectCore,
  SetOperation,
  TableReference,
  WithQuery,
} from './ast.js';
import {
  aggregateType,
  arithmeticType,
  callType,
  castType,
  checkComparable,
  commonType,
  defaultColumnName,
  numberLiteralType,
  requireKind,
  unaryType,
} from './annotate.js';
import { AdqlError, type SourcePosition } from './errors.js';
import { findUserDefinedFunction, unknownFunction } from './udfs.js';
import { suggestion } from './suggest.js';
import {
  isGeometryKind,
  kindOf,
  type ResultColumn,
  toResultColumn,
  typeOfColumn,
  type ValueKind,
  type ValueType,
  types,
} from './types.js';
import { stcsTextColumn, type PublishedSchema, type TableDef } from '../schema/types.js';

/** How a column reference is written in SQL. */
export type ColumnBinding =
  | { readonly kind: 'relationColumn'; readonly relation: string; readonly column: string }
  | {
      readonly kind: 'merged';
      readonly joinType: JoinType;
      readonly left: ColumnBinding;
      readonly right: ColumnBinding;
    }
  | { readonly kind: 'outputName'; readonly name: string };

export type RelationSource =
  | { readonly kind: 'table'; readonly table: TableDef }
  | { readonly kind: 'cte'; readonly name: string }
  | { readonly kind: 'derived' };

/** A column of a SELECT's result: computed by `expr`, or a column that `*` expanded to. */
export interface OutputColumn {
  readonly name: string;
  readonly type: ValueType;
  readonly expr?: Expression;
  readonly binding?: ColumnBinding;
}

/** Everything the resolver learned about a query, keyed by syntax-tree node. */
export class QueryAnnotations {
  readonly types = new Map<Expression, ValueType>();
  readonly columns = new Map<ColumnReference, ColumnBinding>();
  readonly relations = new Map<
    TableReference | DerivedTable,
    { readonly alias: string; readonly source: RelationSource }
  >();
  readonly ctes = new Map<WithQuery, string>();
  readonly outputs = new Map<QueryBody, readonly OutputColumn[]>();
  /** For NATURAL and USING joins: the column pairs that must be equal. */
  readonly joinPairs = new Map<Join, readonly (readonly [ColumnBinding, ColumnBinding])[]>();
  /**
   * Outputs of the statement's own SELECT that show a stored geometry as STC-S: the stored
   * text column beside it (stcsTextColumn), which the SQL selects instead.
   */
  readonly stcsTexts = new Map<OutputColumn, ColumnBinding>();

  typeOf(expr: Expression): ValueType {
    const type = this.types.get(expr);
    if (type === undefined)
      throw new Error(`internal: expression at ${expr.at.line}:${expr.at.column} was not typed`);
    return type;
  }

  kindOf(expr: Expression): ValueKind {
    return kindOf(this.typeOf(expr));
  }

  /** The published table a relation alias stands for, when every use of the alias is that table. */
  tableOf(alias: string): TableDef | undefined {
    let found: TableDef | undefined;
    for (const r of this.relations.values()) {
      if (r.alias !== alias) continue;
      if (r.source.kind !== 'table' || (found && found !== r.source.table)) return undefined;
      found = r.source.table;
    }
    return found;
  }

  outputsOf(body: QueryBody): readonly OutputColumn[] {
    const out = this.outputs.get(body);
    if (out === undefined) throw new Error('internal: query outputs were not resolved');
    return out;
  }
}

export interface ResolvedQuery {
  readonly ast: Query;
  readonly annotations: QueryAnnotations;
  /** The described result columns, in order. */
  readonly columns: readonly ResultColumn[];
}

export interface ResolveOptions {
  /** Tables only this query can see, e.g. TAP_UPLOAD.* tables (schema 'tap_upload'). */
  readonly uploads?: readonly TableDef[];
}

/** Resolves names and types of a parsed query against the published tables. */
export function resolveAdql(
  ast: Query,
  schema: PublishedSchema,
  options: ResolveOptions = {},
): ResolvedQuery {
  const resolver = new Resolver([...schema.tables, ...(options.uploads ?? [])]);
  const outputs = resolver.query(ast, { ctes: undefined, outer: undefined });
  const annotations = resolver.annotations;
  findStcsTexts(ast, annotations);
  const columns = outputs.map((o) => {
    const column = toResultColumn(o.name, o.type);
    if (!annotations.stcsTexts.has(o)) return column;
    const { stcsFrom: _shape, ...text } = column;
    return Object.freeze({ ...text, stcsText: true as const });
  });
  return { ast, annotations, columns };
}

/**
 * The outputs of the statement's SELECT that are a stored geometry, as it is, of a
 * published table storing its STC-S text beside it. Only there: a subquery, a set
 * operation, a grouping or an ordering by it must see the geometry itself.
 */
function findStcsTexts(ast: Query, annotations: QueryAnnotations): void {
  const core = ast.body;
  if (core.kind !== 'select' || core.groupBy.length > 0) return;
  // Rows sorted by a geometry, or by an output's position, keep the geometry's order.
  const sorts = (i: OrderItem): boolean =>
    i.expr.kind === 'number' || isGeometryKind(annotations.kindOf(i.expr));
  if (ast.orderBy.some(sorts)) return;
  for (const output of annotations.outputsOf(core)) {
    const binding =
      output.binding ??
      (output.expr?.kind === 'column' ? annotations.columns.get(output.expr) : undefined);
    if (binding?.kind !== 'relationColumn') continue;
    const stored = annotations
      .tableOf(binding.relation)
      ?.columns.find((c) => c.name === binding.column);
    const text = stored && stcsTextColumn(stored);
    if (text) annotations.stcsTexts.set(output, { ...binding, column: text.name });
  }
}

// ---------------------------------------------------------------- scopes

interface VisibleColumn {
  readonly name: string;
  readonly binding: ColumnBinding;
  readonly type: ValueType;
}

interface Relation {
  readonly alias?: Identifier;
  /** Name to match when there is no alias: [schema?, table]. */
  readonly tableName?: { readonly schema?: string; readonly name: string };
  /** For messages: ivoa.obscore, or the alias. */
  readonly label: string;
  readonly columns: readonly VisibleColumn[];
  readonly at: SourcePosition;
}

interface FromScope {
  readonly relations: readonly Relation[];
  /** Columns that an unqualified name can reach, in SELECT * order. */
  readonly visible: readonly VisibleColumn[];
}

interface Scope {
  readonly from: FromScope;
  readonly parent?: Scope;
}

interface CteEntry {
  readonly name: Identifier;
  readonly sqlName: string;
  readonly outputs: readonly OutputColumn[];
}

interface CteEnv {
  readonly entries: readonly CteEntry[];
  readonly parent?: CteEnv;
}

interface QueryContext {
  readonly ctes: CteEnv | undefined;
  /** The scope of the query this one is nested in (for correlated subqueries). */
  readonly outer: Scope | undefined;
}

/** Which clause an expression is in: decides whether aggregates and output names apply. */
interface ExpressionContext {
  readonly clause: string;
  readonly scope: Scope;
  readonly query: QueryContext;
  readonly aggregates: 'allowed' | 'forbidden' | 'inside';
  /** Result columns an unqualified name may refer to (ORDER BY, GROUP BY). */
  readonly outputNames?: readonly OutputColumn[];
  /** ORDER BY looks at result names before input columns; GROUP BY after. */
  readonly outputsFirst?: boolean;
}

/** A regular identifier matches case-insensitively; a delimited one exactly. */
export function matchesName(id: Identifier, actual: string): boolean {
  return id.delimited ? id.name === actual : id.name.toLowerCase() === actual.toLowerCase();
}

const quotedName = (id: Identifier): string => (id.delimited ? `"${id.name}"` : id.name);
const dotted = (parts: readonly Identifier[]): string => parts.map(quotedName).join('.');

// ---------------------------------------------------------------- resolver

class Resolver {
  readonly annotations = new QueryAnnotations();
  private relationCount = 0;
  private cteCount = 0;
  /** Column references that reach into an enclosing query (correlated subqueries). */
  private readonly outerReferences = new Set<ColumnReference>();
  /** Each subquery is only ever equal to itself when grouping expressions are compared. */
  private readonly subqueryIds = new WeakMap<Expression, number>();
  private subqueryCount = 0;

  constructor(private readonly tables: readonly TableDef[]) {}

  query(
    query: Query,
    context: QueryContext,
    forcedNames?: readonly Identifier[],
  ): readonly OutputColumn[] {
    const level: CteEntry[] = [];
    const ctes: CteEnv | undefined =
      query.with.length > 0 ? { entries: level, parent: context.ctes } : context.ctes;
    for (const w of query.with) {
      if (level.some((e) => e.name.name.toLowerCase() === w.name.name.toLowerCase())) {
        throw new AdqlError(`WITH query '${w.name.name}' is defined twice`, w.name.at);
      }
      // A WITH query sees the ones defined before it, not itself (no recursion).
      const outputs = this.query(w.query, { ctes, outer: context.outer }, w.columns);
      const sqlName = `w${++this.cteCount}`;
      this.annotations.ctes.set(w, sqlName);
      level.push({ name: w.name, sqlName, outputs });
    }
    const inner: QueryContext = { ctes, outer: context.outer };
    let outputs: readonly OutputColumn[];
    if (query.body.kind === 'select') {
      outputs = this.select(query.body, inner, forcedNames, query.orderBy);
    } else {
      outputs = this.body(query.body, inner, forcedNames);
      for (const item of query.orderBy) this.orderByResult(item, outputs);
    }
    this.annotations.outputs.set(query, outputs);
    return outputs;
  }

  private body(
    body: QueryBody,
    context: QueryContext,
    forcedNames?: readonly Identifier[],
  ): readonly OutputColumn[] {
    switch (body.kind) {
      case 'select':
        return this.select(body, context, forcedNames, []);
      case 'query':
        return this.query(body, context, forcedNames);
      case 'setop':
        return this.setOperation(body, context, forcedNames);
    }
  }

  private setOperation(
    op: SetOperation,
    context: QueryContext,
    forcedNames?: readonly Identifier[],
  ): readonly OutputColumn[] {
    const left = this.body(op.left, context, forcedNames);
    const right = this.body(op.right, context);
    if (left.length !== right.length) {
      throw new AdqlError(
        `both sides of ${op.op} must have the same number of columns (the left has ${left.length}, the right ${right.length})`,
        op.at,
      );
    }
    const outputs = left.map((l, i) => {
      const r = right[i] as OutputColumn;
      const common = commonType([l.type, r.type], `column ${i + 1} of ${op.op}`, op.at);
      // Metadata comes from the left-hand query (ADQL 2.1 §4.5).
      return {
        name: l.name,
        type: l.type.isNull ? r.type : { ...l.type, datatype: common.datatype },
      };
    });
    this.annotations.outputs.set(op, outputs);
    return outputs;
  }

  /** ORDER BY after a set operation: a result column's name or position. */
  private orderByResult(item: OrderItem, outputs: readonly OutputColumn[]): void {
    const e = item.expr;
    if (e.kind === 'number' && e.numberKind === 'integer') {
      this.checkPosition(Number(e.text), outputs.length, e.at);
      this.annotations.types.set(e, types.int);
      return;
    }
    if (e.kind === 'column' && e.parts.length === 1) {
      const match = this.findOutput(e.parts[0] as Identifier, outputs);
      if (match) {
        this.annotations.columns.set(e, { kind: 'outputName', name: match.name });
        this.annotations.types.set(e, match.type);
        return;
      }
    }
    throw new AdqlError(
      `ORDER BY after a set operation can only name a result column (${outputs.map((o) => o.name).join(', ')}) or give its position`,
      e.at,
    );
  }

  private checkPosition(position: number, count: number, at: SourcePosition): void {
    if (position < 1 || position > count) {
      throw new AdqlError(
        `ORDER BY position ${position} is out of range: the result has ${count} columns`,
        at,
      );
    }
  }

  private findOutput(id: Identifier, outputs: readonly OutputColumn[]): OutputColumn | undefined {
    const matches = outputs.filter((o) => matchesName(id, o.name));
    if (matches.length > 1)
      throw new AdqlError(`result column name '${id.name}' is ambiguous`, id.at);
    return matches[0];
  }

  // ------------------------------------------------------------ SELECT

  private select(
    core: SelectCore,
    context: QueryContext,
    forcedNames: readonly Identifier[] | undefined,
    orderBy: readonly OrderItem[],
  ): readonly OutputColumn[] {
    const from = this.fromList(core.from, context);
    const scope: Scope = { from, parent: context.outer };
    const expr = (
      clause: string,
      aggregates: ExpressionContext['aggregates'],
    ): ExpressionContext => ({
      clause,
      scope,
      query: context,
      aggregates,
    });
    if (core.where) this.expression(core.where, expr('WHERE', 'forbidden'));

    const outputs: OutputColumn[] = [];
    for (const item of core.items) {
      if (item.kind === 'allColumns') {
        const columns = item.qualifier
          ? this.relationFor(item.qualifier, scope, item.at).columns
          : from.visible;
        for (const c of columns) outputs.push({ name: c.name, type: c.type, binding: c.binding });
      } else {
        const type = this.expression(item.expr, expr('the select list', 'allowed'));
        const binding =
          item.expr.kind === 'column' ? this.annotations.columns.get(item.expr) : undefined;
        const name =
          item.alias?.name ?? (binding ? bindingName(binding) : defaultColumnName(item.expr));
        outputs.push({ name, type, expr: item.expr });
      }
    }
    if (forcedNames && forcedNames.length !== outputs.length) {
      throw new AdqlError(
        `${forcedNames.length} column names are given for a query with ${outputs.length} columns`,
        forcedNames[0]?.at ?? core.at,
      );
    }
    const named = uniqueNames(outputs, forcedNames);

    for (const g of core.groupBy) {
      this.expression(g, { ...expr('GROUP BY', 'forbidden'), outputNames: named });
    }
    if (core.having) this.expression(core.having, expr('HAVING', 'allowed'));
    for (const item of orderBy) {
      const e = item.expr;
      if (e.kind === 'number' && e.numberKind === 'integer') {
        this.checkPosition(Number(e.text), named.length, e.at);
        this.annotations.types.set(e, types.int);
      } else {
        this.expression(e, {
          ...expr('ORDER BY', 'allowed'),
          outputNames: named,
          outputsFirst: true,
        });
      }
    }
    this.checkGrouping(core, orderBy, named);
    if (core.distinct) this.checkDistinctOrder(orderBy, named);
    this.annotations.outputs.set(core, named);
    return named;
  }

  /** With SELECT DISTINCT, rows can only be sorted by what they contain. */
  private checkDistinctOrder(
    orderBy: readonly OrderItem[],
    outputs: readonly OutputColumn[],
  ): void {
    const selected = new Set(
      outputs.map((o) => (o.expr ? this.key(o.expr) : JSON.stringify(o.binding))),
    );
    for (const { expr: e } of orderBy) {
      const binding = e.kind === 'column' ? this.annotations.columns.get(e) : undefined;
      if (e.kind === 'number' || binding?.kind === 'outputName') continue;
      if (selected.has(this.key(e)) || (binding && selected.has(JSON.stringify(binding)))) continue;
      throw new AdqlError(
        'with SELECT DISTINCT, ORDER BY can only use columns of the result',
        e.at,
      );
    }
  }

  /** Non-aggregated columns of a grouped query must be grouped (else the database would fail less clearly). */
  private checkGrouping(
    core: SelectCore,
    orderBy: readonly OrderItem[],
    outputs: readonly OutputColumn[],
  ): void {
    const items = core.items.filter((i) => i.kind === 'derivedColumn').map((i) => i.expr);
    const aggregated = [...items, ...(core.having ? [core.having] : [])].some((e) =>
      this.containsAggregate(e),
    );
    if (core.groupBy.length === 0 && !aggregated) return;
    const star = core.items.find((i) => i.kind === 'allColumns');
    if (star)
      throw new AdqlError(
        'SELECT * cannot be used with GROUP BY or aggregate functions; list the columns',
        star.at,
      );
    const grouped = new Set(
      core.groupBy.map((g) => {
        const binding = g.kind === 'column' ? this.annotations.columns.get(g) : undefined;
        const output =
          binding?.kind === 'outputName' ? outputs.find((o) => o.name === binding.name) : undefined;
        return this.key(output?.expr ?? g);
      }),
    );
    const check = (e: Expression, clause: string): void => {
      if (
        grouped.has(this.key(e)) ||
        e.kind === 'aggregate' ||
        (e.kind === 'call' && e.udf && findUserDefinedFunction(e.name)?.aggregate)
      )
        return;
      if (e.kind === 'column') {
        const binding = this.annotations.columns.get(e);
        if (binding?.kind === 'outputName' || this.isOuterReference(e)) return;
        throw new AdqlError(
          `column ${dotted(e.parts)} in ${clause} must be listed in GROUP BY or used inside an aggregate function such as MAX`,
          e.at,
        );
      }
      if (e.kind === 'scalarSubquery' || e.kind === 'exists') return;
      for (const child of children(e)) check(child, clause);
    };
    items.forEach((e) => check(e, 'the select list'));
    if (core.having) check(core.having, 'HAVING');
    orderBy.forEach((o) => check(o.expr, 'ORDER BY'));
  }

  private isOuterReference(e: ColumnReference): boolean {
    return this.outerReferences.has(e);
  }

  /** A canonical text for an expression: equal for GROUP BY a and SELECT a, whatever the spelling. */
  private key(e: Expression): string {
    if (e.kind === 'column') return `column:${JSON.stringify(this.annotations.columns.get(e))}`;
    if (e.kind === 'scalarSubquery' || e.kind === 'exists' || (e.kind === 'in' && e.query)) {
      let id = this.subqueryIds.get(e);
      if (id === undefined) this.subqueryIds.set(e, (id = ++this.subqueryCount));
      return `subquery:${id}`;
    }
    const scalars = Object.entries(e)
      .filter(([k, v]) => k !== 'at' && ['string', 'number', 'boolean'].includes(typeof v))
      .map(([k, v]) => `${k}=${String(v)}`);
    return `${scalars.join(',')}(${children(e)
      .map((c) => this.key(c))
      .join(',')})`;
  }

  private containsAggregate(e: Expression): boolean {
    if (e.kind === 'aggregate') return true;
    if (e.kind === 'call' && e.udf && findUserDefinedFunction(e.name)?.aggregate) return true;
    if (e.kind === 'scalarSubquery' || e.kind === 'exists') return false;
    return children(e).some((c) => this.containsAggregate(c));
  }

  // ------------------------------------------------------------ FROM

  private fromList(items: readonly FromItem[], context: QueryContext): FromScope {
    const scopes = items.map((i) => this.fromItem(i, context));
    const relations = scopes.flatMap((s) => s.relations);
    const seen = new Map<string, Relation>();
    for (const r of relations) {
      const exposed = (r.alias?.name ?? r.tableName?.name)?.toLowerCase();
      if (exposed === undefined) continue;
      if (seen.has(exposed)) {
        throw new AdqlError(
          `'${exposed}' is used twice in FROM; give each table its own alias`,
          r.at,
        );
      }
      seen.set(exposed, r);
    }
    return { relations, visible: scopes.flatMap((s) => s.visible) };
  }

  private fromItem(item: FromItem, context: QueryContext): FromScope {
    switch (item.kind) {
      case 'table':
        return this.tableReference(item, context);
      case 'derivedTable': {
        const outputs = this.query(item.query, { ctes: context.ctes, outer: context.outer });
        const alias = `t${++this.relationCount}`;
        this.annotations.relations.set(item, { alias, source: { kind: 'derived' } });
        const relation: Relation = {
          alias: item.alias,
          label: quotedName(item.alias),
          columns: outputs.map((o) => ({
            name: o.name,
            type: o.type,
            binding: { kind: 'relationColumn', relation: alias, column: o.name },
          })),
          at: item.at,
        };
        return { relations: [relation], visible: relation.columns };
      }
      case 'join':
        return this.join(item, context);
    }
  }

  private tableReference(item: TableReference, context: QueryContext): FromScope {
    const alias = `t${++this.relationCount}`;
    const bind = (name: string): ColumnBinding => ({
      kind: 'relationColumn',
      relation: alias,
      column: name,
    });
    const name = item.name;
    if (name.length === 1) {
      const cte = this.findCte(name[0] as Identifier, context.ctes);
      if (cte) {
        this.annotations.relations.set(item, { alias, source: { kind: 'cte', name: cte.sqlName } });
        const relation: Relation = {
          alias: item.alias,
          tableName: { name: cte.name.name },
          label: quotedName(cte.name),
          columns: cte.outputs.map((o) => ({ name: o.name, type: o.type, binding: bind(o.name) })),
          at: item.at,
        };
        return { relations: [relation], visible: relation.columns };
      }
    }
    const table = this.findTable(name, item.at);
    this.annotations.relations.set(item, { alias, source: { kind: 'table', table } });
    const relation: Relation = {
      alias: item.alias,
      tableName: { schema: table.schema, name: table.name },
      label: `${table.schema}.${table.name}`,
      columns: table.columns.map((c) => ({
        name: c.name,
        type: typeOfColumn(c),
        binding: bind(c.name),
      })),
      at: item.at,
    };
    return { relations: [relation], visible: relation.columns };
  }

  private findCte(id: Identifier, env: CteEnv | undefined): CteEntry | undefined {
    for (let e = env; e; e = e.parent) {
      const found = e.entries.find((c) => matchesName(id, c.name.name));
      if (found) return found;
    }
    return undefined;
  }

  private findTable(name: readonly Identifier[], at: SourcePosition): TableDef {
    if (name.length > 2)
      throw new AdqlError(
        `catalog names are not supported: use schema.table instead of ${dotted(name)}`,
        at,
      );
    const [first, second] = name as [Identifier, Identifier | undefined];
    const candidates = second
      ? this.tables.filter((t) => matchesName(first, t.schema) && matchesName(second, t.name))
      : this.tables.filter((t) => matchesName(first, t.name));
    if (candidates.length === 1) return candidates[0] as TableDef;
    if (candidates.length > 1) {
      throw new AdqlError(
        `table name '${first.name}' is ambiguous: qualify it with its schema (${candidates.map((t) => `${t.schema}.${t.name}`).join(' or ')})`,
        at,
      );
    }
    const all = this.tables.map((t) => `${t.schema}.${t.name}`);
    const wanted = name.map((p) => p.name).join('.');
    const hint =
      suggestion(wanted, all) ||
      (second
        ? ''
        : suggestion(
            wanted,
            this.tables.map((t) => t.name),
          )) ||
      (all.length > 0 && all.length <= 8 ? `; the tables are ${all.join(', ')}` : '');
    throw new AdqlError(`unknown table '${wanted}'${hint}`, at);
  }

  private join(join: Join, context: QueryContext): FromScope {
    const left = this.fromItem(join.left, context);
    const right = this.fromItem(join.right, context);
    const relations = [...left.relations, ...right.relations];
    if (join.on) {
      const scope: Scope = {
        from: { relations, visible: [...left.visible, ...right.visible] },
        parent: context.outer,
      };
      this.expression(join.on, { clause: 'ON', scope, query: context, aggregates: 'forbidden' });
    }
    let names: Identifier[] = [];
    if (join.natural) {
      names = left.visible
        .filter((l) => right.visible.some((r) => r.name.toLowerCase() === l.name.toLowerCase()))
        .map((l) => ({ name: l.name, delimited: false, at: join.at }));
    } else if (join.using) names = [...join.using];
    if (names.length === 0) {
      return { relations, visible: [...left.visible, ...right.visible] };
    }
    const pick = (side: FromScope, id: Identifier, which: string): VisibleColumn => {
      const found = side.visible.filter((c) => matchesName(id, c.name));
      if (found.length === 0)
        throw new AdqlError(
          `USING column '${id.name}' is not in the ${which} table of the join`,
          id.at,
        );
      if (found.length > 1)
        throw new AdqlError(
          `USING column '${id.name}' is ambiguous in the ${which} side of the join`,
          id.at,
        );
      return found[0] as VisibleColumn;
    };
    const pairs: (readonly [ColumnBinding, ColumnBinding])[] = [];
    const merged: VisibleColumn[] = [];
    const usedLeft = new Set<VisibleColumn>();
    const usedRight = new Set<VisibleColumn>();
    for (const id of names) {
      const l = pick(left, id, 'left');
      const r = pick(right, id, 'right');
      checkComparable(l.type, r.type, id.at);
      usedLeft.add(l);
      usedRight.add(r);
      pairs.push([l.binding, r.binding]);
      merged.push({
        name: l.name,
        type: commonType([l.type, r.type], `USING column ${l.name}`, id.at),
        binding: { kind: 'merged', joinType: join.type, left: l.binding, right: r.binding },
      });
    }
    this.annotations.joinPairs.set(join, pairs);
    return {
      relations,
      visible: [
        ...merged,
        ...left.visible.filter((c) => !usedLeft.has(c)),
        ...right.visible.filter((c) => !usedRight.has(c)),
      ],
    };
  }

  // ------------------------------------------------------------ names in expressions

  private relationFor(
    qualifier: readonly Identifier[],
    scope: Scope,
    at: SourcePosition,
  ): Relation {
    if (qualifier.length > 2)
      throw new AdqlError(`catalog names are not supported in ${dotted(qualifier)}`, at);
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const found = s.from.relations.filter((r) => matchesQualifier(r, qualifier));
      if (found.length > 1)
        throw new AdqlError(
          `'${dotted(qualifier)}' is ambiguous: it names more than one table in FROM`,
          at,
        );
      if (found.length === 1) return found[0] as Relation;
    }
    const names = scope.from.relations
      .map((r) => (r.alias ? r.alias.name : (r.tableName?.name ?? '')))
      .filter((n) => n !== '');
    throw new AdqlError(
      `unknown table '${dotted(qualifier)}' in this query${suggestion(qualifier.at(-1)?.name ?? '', names) || (names.length > 0 ? `; FROM has ${names.join(', ')}` : '')}`,
      at,
    );
  }

  private column(ref: ColumnReference, context: ExpressionContext): ValueType {
    const parts = ref.parts;
    const name = parts.at(-1) as Identifier;
    const useOutput = (): ValueType | undefined => {
      if (parts.length !== 1 || !context.outputNames) return undefined;
      const out = this.findOutput(name, context.outputNames);
      if (!out) return undefined;
      if (context.clause === 'GROUP BY' && out.expr && this.containsAggregate(out.expr)) {
        throw new AdqlError(
          `GROUP BY cannot use '${name.name}': it is computed by an aggregate function`,
          ref.at,
        );
      }
      this.annotations.columns.set(ref, { kind: 'outputName', name: out.name });
      return out.type;
    };
    if (context.outputsFirst) {
      const t = useOutput();
      if (t) return t;
    }
    if (parts.length > 1) {
      const relation = this.relationFor(parts.slice(0, -1), context.scope, ref.at);
      const found = relation.columns.filter((c) => matchesName(name, c.name));
      if (found.length === 0) {
        throw new AdqlError(
          `unknown column '${name.name}' in ${relation.label}${suggestion(
            name.name,
            relation.columns.map((c) => c.name),
          )}`,
          name.at,
        );
      }
      return this.bind(
        ref,
        found[0] as VisibleColumn,
        context,
        this.isOuter(relation, context.scope),
      );
    }
    for (let s: Scope | undefined = context.scope; s; s = s.parent) {
      const found = s.from.visible.filter((c) => matchesName(name, c.name));
      if (found.length > 1) {
        const owners = s.from.relations
          .filter((r) => r.columns.some((c) => matchesName(name, c.name)))
          .map((r) => (r.alias ? quotedName(r.alias) : r.label));
        throw new AdqlError(
          `column name '${name.name}' is ambiguous: it is in ${owners.join(' and ')}; qualify it, e.g. ${owners[0] ?? 't'}.${name.name}`,
          ref.at,
        );
      }
      if (found.length === 1)
        return this.bind(ref, found[0] as VisibleColumn, context, s !== context.scope);
    }
    const t = useOutput();
    if (t) return t;
    const relations = context.scope.from.relations;
    const where = relations.length === 1 ? ` in ${(relations[0] as Relation).label}` : '';
    const candidates = context.scope.from.visible.map((c) => c.name);
    throw new AdqlError(
      `unknown column '${name.name}'${where}${suggestion(name.name, candidates)}`,
      ref.at,
    );
  }

  private isOuter(relation: Relation, scope: Scope): boolean {
    return !scope.from.relations.includes(relation);
  }

  private bind(
    ref: ColumnReference,
    column: VisibleColumn,
    context: ExpressionContext,
    outer: boolean,
  ): ValueType {
    this.annotations.columns.set(ref, column.binding);
    if (outer) this.outerReferences.add(ref);
    return column.type;
  }

  // ------------------------------------------------------------ expressions

  private expression(e: Expression, context: ExpressionContext): ValueType {
    const type = this.typeExpression(e, context);
    this.annotations.types.set(e, type);
    return type;
  }

  private subquery(query: Query, context: ExpressionContext): readonly OutputColumn[] {
    return this.query(query, { ctes: context.query.ctes, outer: context.scope });
  }

  private typeExpression(e: Expression, context: ExpressionContext): ValueType {
    const sub = (x: Expression, c: ExpressionContext = context): ValueType => this.expression(x, c);
    switch (e.kind) {
      case 'number':
        return numberLiteralType(e);
      case 'string':
        return types.string;
      case 'boolean':
        return types.boolean;
      case 'null':
        return types.null;
      case 'column':
        return this.column(e, context);
      case 'unary':
        return unaryType(sub(e.operand), e.op, e.at);
      case 'binary':
        return arithmeticType(e.op, sub(e.left), sub(e.right), e.at);
      case 'call': {
        if (e.udf && !findUserDefinedFunction(e.name)) throw unknownFunction(e.name, e.at);
        const aggregate = e.udf && findUserDefinedFunction(e.name)?.aggregate === true;
        const inner = aggregate ? this.enterAggregate(e.name, e.at, context) : context;
        return callType(
          e,
          e.args.map((a) => sub(a, inner)),
        );
      }
      case 'aggregate': {
        const inner = this.enterAggregate(e.name, e.at, context);
        return aggregateType(e, e.arg ? sub(e.arg, inner) : undefined);
      }
      case 'cast':
        return castType(e, sub(e.operand));
      case 'pointConstructor':
        this.coordSys(e.coordSys, context);
        this.numbers([e.ra, e.dec], 'POINT', context);
        return types.point;
      case 'circleConstructor':
        this.coordSys(e.coordSys, context);
        this.center(e.center, 'CIRCLE', context);
        this.numbers([e.radius], 'CIRCLE', context);
        return types.circle;
      case 'boxConstructor':
        this.coordSys(e.coordSys, context);
        this.center(e.center, 'BOX', context);
        this.numbers([e.width, e.height], 'BOX', context);
        return types.polygon;
      case 'polygonConstructor': {
        this.coordSys(e.coordSys, context);
        const kinds = e.args.map((a) => kindOf(sub(a)));
        if (kinds.every((k) => k === 'point' || k === 'null')) return types.polygon;
        e.args.forEach((a, i) =>
          requireKind(
            this.annotations.typeOf(a),
            ['integer', 'real'],
            `vertex coordinate ${i + 1} of POLYGON`,
            a.at,
          ),
        );
        if (e.args.length < 6 || e.args.length % 2 !== 0) {
          throw new AdqlError(
            'POLYGON needs at least three vertices: an even number of coordinates, at least six',
            e.at,
          );
        }
        return types.polygon;
      }
      case 'regionConstructor':
        throw new AdqlError(
          'REGION is deprecated and not supported here; use POINT, CIRCLE or POLYGON',
          e.at,
        );
      case 'scalarSubquery': {
        const outputs = this.subquery(e.query, context);
        if (outputs.length !== 1) {
          throw new AdqlError(
            `a subquery used as a value must return one column, not ${outputs.length}`,
            e.at,
          );
        }
        return (outputs[0] as OutputColumn).type;
      }
      case 'comparison':
        checkComparable(sub(e.left), sub(e.right), e.at);
        return types.boolean;
      case 'between': {
        const v = sub(e.value);
        checkComparable(v, sub(e.low), e.low.at);
        checkComparable(v, sub(e.high), e.high.at);
        return types.boolean;
      }
      case 'in': {
        const v = sub(e.value);
        if (e.query) {
          const outputs = this.subquery(e.query, context);
          if (outputs.length !== 1)
            throw new AdqlError(
              `the subquery of IN must return one column, not ${outputs.length}`,
              e.at,
            );
          checkComparable(v, (outputs[0] as OutputColumn).type, e.at);
        }
        for (const item of e.list ?? []) checkComparable(v, sub(item), item.at);
        return types.boolean;
      }
      case 'like':
        requireKind(
          sub(e.value),
          ['string'],
          `the value before ${e.caseInsensitive ? 'ILIKE' : 'LIKE'}`,
          e.value.at,
        );
        requireKind(
          sub(e.pattern),
          ['string'],
          `the pattern of ${e.caseInsensitive ? 'ILIKE' : 'LIKE'}`,
          e.pattern.at,
        );
        return types.boolean;
      case 'nullTest':
        sub(e.value);
        return types.boolean;
      case 'exists':
        this.subquery(e.query, context);
        return types.boolean;
      case 'logical':
        for (const operand of e.operands) sub(operand);
        return types.boolean;
      case 'not':
        sub(e.operand);
        return types.boolean;
    }
  }

  private enterAggregate(
    name: string,
    at: SourcePosition,
    context: ExpressionContext,
  ): ExpressionContext {
    if (context.aggregates === 'forbidden') {
      throw new AdqlError(
        `aggregate function ${name} cannot be used in ${context.clause}${context.clause === 'WHERE' ? '; use HAVING' : ''}`,
        at,
      );
    }
    if (context.aggregates === 'inside')
      throw new AdqlError(`aggregate function ${name} cannot be nested in another aggregate`, at);
    return { ...context, aggregates: 'inside', outputNames: undefined };
  }

  private coordSys(coordSys: Expression | undefined, context: ExpressionContext): void {
    if (coordSys)
      requireKind(
        this.expression(coordSys, context),
        ['string'],
        'the coordinate system',
        coordSys.at,
      );
  }

  private numbers(values: readonly Expression[], what: string, context: ExpressionContext): void {
    for (const v of values)
      requireKind(
        this.expression(v, context),
        ['integer', 'real'],
        `each number given to ${what}`,
        v.at,
      );
  }

  private center(center: Center, what: string, context: ExpressionContext): void {
    if (center.kind === 'point') {
      requireKind(
        this.expression(center.point, context),
        ['point'],
        `the centre of ${what}`,
        center.point.at,
      );
    } else this.numbers([center.ra, center.dec], what, context);
  }
}

function matchesQualifier(relation: Relation, qualifier: readonly Identifier[]): boolean {
  if (relation.alias)
    return qualifier.length === 1 && matchesName(qualifier[0] as Identifier, relation.alias.name);
  const table = relation.tableName;
  if (!table) return false;
  if (qualifier.length === 1) return matchesName(qualifier[0] as Identifier, table.name);
  return (
    table.schema !== undefined &&
    matchesName(qualifier[0] as Identifier, table.schema) &&
    matchesName(qualifier[1] as Identifier, table.name)
  );
}

/** The name a column reference stands for (as published, not as typed). */
function bindingName(b: ColumnBinding): string {
  if (b.kind === 'merged') return bindingName(b.left);
  return b.kind === 'relationColumn' ? b.column : b.name;
}

/** Gives each result column a name no other column of the result has (case-insensitively). */
function uniqueNames(
  outputs: readonly OutputColumn[],
  forced: readonly Identifier[] | undefined,
): OutputColumn[] {
  const used = new Set<string>();
  return outputs.map((o, i) => {
    const base = forced?.[i]?.name ?? o.name;
    let name = base;
    for (let k = 2; used.has(name.toLowerCase()); k++) name = `${base}_${k}`;
    used.add(name.toLowerCase());
    return { ...o, name };
  });
}

/** The direct sub-expressions of an expression (not those inside subqueries). */
export function children(e: Expression): readonly Expression[] {
  switch (e.kind) {
    case 'unary':
      return [e.operand];
    case 'binary':
    case 'comparison':
      return [e.left, e.right];
    case 'logical':
      return e.operands;
    case 'call':
      return e.args;
    case 'aggregate':
      return e.arg ? [e.arg] : [];
    case 'cast':
      return [e.operand];
    case 'pointConstructor':
      return [...(e.coordSys ? [e.coordSys] : []), e.ra, e.dec];
    case 'circleConstructor':
      return [...(e.coordSys ? [e.coordSys] : []), ...centerParts(e.center), e.radius];
    case 'boxConstructor':
      return [...(e.coordSys ? [e.coordSys] : []), ...centerParts(e.center), e.width, e.height];
    case 'polygonConstructor':
      return [...(e.coordSys ? [e.coordSys] : []), ...e.args];
    case 'regionConstructor':
      return [e.arg];
    case 'between':
      return [e.value, e.low, e.high];
    case 'in':
      return [e.value, ...(e.list ?? [])];
    case 'like':
      return [e.value, e.pattern];
    case 'nullTest':
      return [e.value];
    case 'not':
      return [e.operand];
    default:
      return [];
  }
}

function centerParts(center: Center): readonly Expression[] {
  return center.kind === 'point' ? [center.point] : [center.ra, center.dec];
}
