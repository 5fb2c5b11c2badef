/**
 * `hearc adql`: check ADQL 2.1 queries (one, or thousands as JSON lines) and show the
 * SQL they become for DuckDB or PostgreSQL + pg_sphere.
 */
import { readFile } from 'node:fs/promises';
import { AdqlError, compileAdql, parseAdql, resolveAdql, type SqlDialect } from '../adql/index.js';
import { duckDbDialect } from '../engine/dialect/duckdb.js';
import { postgresDialect } from '../engine/dialect/postgres.js';
import { publishedSchema } from '../obscore/schema.js';
import type { PublishedSchema } from '../schema/types.js';
import { type Command, type CommandIo, UsageError } from './command.js';
import { integerOption, parseCommandArgs, stringOption } from './options.js';

const usage = `usage: hearc adql check [--schema obscore|FILE.json] [--jsonl]
       hearc adql translate --dialect duckdb|postgres [--schema obscore|FILE.json] [--max-rows N]

check      Reads one ADQL query on standard input. Exits 0 if it is valid ADQL 2.1,
           1 with the error (line and column) on standard error otherwise.
           Without --schema only the syntax is checked; with it, table and column
           names and types are checked too.
  --jsonl  Reads one JSON object per line, {"adql": "..."}, and writes one line per
           input: {"valid": true} or {"valid": false, "error": "..."}. Exits 1 if
           any query is invalid.
translate  Reads one ADQL query on standard input and prints its SQL.
  --dialect   duckdb or postgres (PostgreSQL with pg_sphere)
  --max-rows  the service's row limit, combined with TOP (default: none)

--schema obscore means the tables this service publishes (ivoa.obscore,
ivoa.obscore_hea, hearc.irf); a FILE.json holds a PublishedSchema ({"tables": [...]}).
`;

const dialects: Readonly<Record<string, SqlDialect>> = {
  duckdb: duckDbDialect,
  postgres: postgresDialect,
};

async function loadSchema(name: string | undefined): Promise<PublishedSchema | undefined> {
  if (name === undefined) return undefined;
  if (name === 'obscore') return publishedSchema;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(name, 'utf8'));
  } catch (err) {
    throw new UsageError(`--schema ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    !Array.isArray((parsed as { tables?: unknown }).tables)
  ) {
    throw new UsageError(`--schema ${name}: expected a JSON object with a "tables" array`);
  }
  return parsed as PublishedSchema;
}

async function readAll(io: CommandIo): Promise<string> {
  const lines: string[] = [];
  for await (const line of io.stdin()) lines.push(line);
  return lines.join('\n');
}

/** Undefined when the query is valid; the message otherwise. */
function problemWith(adql: string, schema: PublishedSchema | undefined): string | undefined {
  try {
    const ast = parseAdql(adql);
    if (schema) resolveAdql(ast, schema);
    return undefined;
  } catch (err) {
    if (err instanceof AdqlError) return err.message;
    throw err;
  }
}

async function checkLines(io: CommandIo, schema: PublishedSchema | undefined): Promise<number> {
  let invalid = 0;
  let number = 0;
  for await (const line of io.stdin()) {
    number++;
    if (line.trim() === '') continue;
    let adql: unknown;
    try {
      adql = (JSON.parse(line) as { adql?: unknown } | null)?.adql;
    } catch {
      adql = undefined;
    }
    const error =
      typeof adql === 'string'
        ? problemWith(adql, schema)
        : `input line ${number} is not a JSON object with a string "adql"`;
    if (error !== undefined) invalid++;
    io.stdout(
      `${JSON.stringify(error === undefined ? { valid: true } : { valid: false, error })}\n`,
    );
  }
  return invalid > 0 ? 1 : 0;
}

export const adqlCommand: Command = {
  name: 'adql',
  summary: 'check ADQL 2.1 queries and show the SQL they compile to',
  usage,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action === 'check') {
      const { values, positionals } = parseCommandArgs(
        rest,
        { schema: { type: 'string' }, jsonl: { type: 'boolean' } },
        false,
      );
      if (positionals.length > 0) throw new UsageError('check reads the query on standard input');
      const schema = await loadSchema(stringOption(values, 'schema'));
      if (values.jsonl) return checkLines(io, schema);
      const error = problemWith(await readAll(io), schema);
      if (error === undefined) return 0;
      io.stderr(`${error}\n`);
      return 1;
    }
    if (action === 'translate') {
      const { values } = parseCommandArgs(
        rest,
        { dialect: { type: 'string' }, schema: { type: 'string' }, 'max-rows': { type: 'string' } },
        false,
      );
      const name = stringOption(values, 'dialect');
      const dialect = name === undefined ? undefined : dialects[name];
      if (!dialect) throw new UsageError('--dialect must be duckdb or postgres');
      const schema = (await loadSchema(stringOption(values, 'schema'))) ?? publishedSchema;
      const maxRows =
        values['max-rows'] === undefined ? undefined : integerOption(values, 'max-rows', 0);
      try {
        io.stdout(`${compileAdql(await readAll(io), schema, dialect, { maxRows }).sql}\n`);
        return 0;
      } catch (err) {
        if (!(err instanceof AdqlError)) throw err;
        io.stderr(`${err.message}\n`);
        return 1;
      }
    }
    throw new UsageError(
      action === undefined
        ? 'say check or translate'
        : `unknown action '${action}': say check or translate`,
    );
  },
};
