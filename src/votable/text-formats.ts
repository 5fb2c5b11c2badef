/**
 * The other TAP result formats, streamed from the same fields and rows as the
 * VOTable writer: CSV (RFC 4180, header line of names), TSV and a simple JSON.
 * Values use the VOTable text syntax (TAP 1.1 §5.1.3: NaN, +Inf, arrays separated
 * by spaces). None of these formats can report an overflow (DALI 1.1 §4.4.1), and
 * an error while rows are written is rethrown so the transfer is cut off rather
 * than ending in a table that looks complete.
 *
 * JSON shape:
 *   {"metadata":[{"name":..,"datatype":..,"arraysize"?,"xtype"?,"unit"?,"ucd"?,
 *     "utype"?,"description"?}, ...],
 *    "data":[[cell, ...], ...]}
 * Cells are JSON numbers (long values as exact integer literals), strings, true/false,
 * arrays (complex values as [re, im] pairs flattened like VOTable) or null; NaN and
 * infinities are null.
 */
import {
  cellTextFormatter,
  JSON_TEXT,
  PLAIN_TEXT,
  type RowSource,
  type TextStyle,
} from './cells.js';
import { checkFieldDescription, isStringType, type FieldDescription } from './field.js';
import {
  DEFAULT_CHUNK_BYTES,
  chunkOf,
  streamRows,
  textRowSerializer,
  type RowSerializer,
} from './row-stream.js';

export interface TextFormatOptions {
  /** About how many bytes make a chunk (default 64 KiB). */
  readonly chunkBytes?: number;
}

function formattersOf(fields: readonly FieldDescription[], style: TextStyle) {
  return fields.map((field) => cellTextFormatter(field, checkFieldDescription(field), style));
}

/** A serializer whose rows are lines of cells joined by `separator`. */
function lineSerializer(
  fields: readonly FieldDescription[],
  style: TextStyle,
  renderCell: (text: string | null) => string,
  separator: string,
  lineEnd: string,
): RowSerializer {
  const formatters = formattersOf(fields, style);
  return textRowSerializer(fields, {
    opening: fields.map((f) => renderCell(f.name)).join(separator) + lineEnd,
    closing: '',
    firstRowOpen: '',
    rowOpen: '',
    separator,
    rowClose: lineEnd,
    // Scalar numbers and booleans print neither separators, quotes nor empty text: nothing to escape.
    cells: formatters.map((format, i) =>
      isPlainScalar(fields[i]!) ? format : (value) => renderCell(format(value)),
    ),
    nulls: fields.map(() => renderCell(null)),
  });
}

function isPlainScalar(field: FieldDescription): boolean {
  return field.arraysize === undefined && !isStringType(field.datatype);
}

const CSV_NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180 field: quoted when needed; an empty string is "" so that it differs from null. */
function csvCell(text: string | null): string {
  if (text === null) return '';
  if (text === '') return '""';
  return CSV_NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const TSV_BREAKS = /[\t\r\n]/g;

// TSV (IANA text/tab-separated-values) has no escaping: tabs and line breaks become spaces.
function tsvCell(text: string | null): string {
  return text === null ? '' : text.replace(TSV_BREAKS, ' ');
}

async function* writeWith(
  serializer: RowSerializer,
  fields: readonly FieldDescription[],
  rows: RowSource,
  options: TextFormatOptions,
): AsyncGenerator<Buffer, number, undefined> {
  yield Buffer.from(serializer.opening, 'utf8');
  const progress = { rows: 0 };
  yield* streamRows(serializer, fields, rows, options.chunkBytes ?? DEFAULT_CHUNK_BYTES, progress);
  yield chunkOf(serializer.take(true), serializer.closing);
  return progress.rows;
}

/** CSV with a header line of column names and CRLF line ends (media type text/csv;header=present). */
export function writeCsv(
  fields: readonly FieldDescription[],
  rows: RowSource,
  options: TextFormatOptions = {},
): AsyncGenerator<Buffer, number, undefined> {
  return writeWith(lineSerializer(fields, PLAIN_TEXT, csvCell, ',', '\r\n'), fields, rows, options);
}

/** Tab-separated values with a header line and LF line ends. */
export function writeTsv(
  fields: readonly FieldDescription[],
  rows: RowSource,
  options: TextFormatOptions = {},
): AsyncGenerator<Buffer, number, undefined> {
  return writeWith(lineSerializer(fields, PLAIN_TEXT, tsvCell, '\t', '\n'), fields, rows, options);
}

/** Column metadata as written in the JSON "metadata" array. */
export function jsonFieldMetadata(field: FieldDescription): Record<string, string> {
  const entry: Record<string, string> = { name: field.name, datatype: field.datatype };
  for (const key of ['arraysize', 'xtype', 'unit', 'ucd', 'utype', 'description'] as const) {
    const value = field[key];
    if (value !== undefined) entry[key] = value;
  }
  return entry;
}

function jsonSerializer(fields: readonly FieldDescription[]): RowSerializer {
  return textRowSerializer(fields, {
    opening: `{"metadata":${JSON.stringify(fields.map(jsonFieldMetadata))},\n"data":[`,
    closing: '\n]}\n',
    firstRowOpen: '\n[',
    rowOpen: ',\n[',
    separator: ',',
    rowClose: ']',
    cells: formattersOf(fields, JSON_TEXT),
    nulls: fields.map(() => 'null'),
  });
}

/** The JSON shape described above, streamed. */
export function writeJson(
  fields: readonly FieldDescription[],
  rows: RowSource,
  options: TextFormatOptions = {},
): AsyncGenerator<Buffer, number, undefined> {
  return writeWith(jsonSerializer(fields), fields, rows, options);
}
