/** TAP result formats: what RESPONSEFORMAT/FORMAT values mean and how each is written. */
import {
  type FieldDescription,
  MEDIA_TYPES,
  type RowSource,
  type VotableWriteOptions,
  writeCsv,
  writeJson,
  writeTsv,
  writeVotable,
} from '../votable/index.js';
import { writeFitsResult } from './fits-format.js';
import { DaliError } from '../dali/index.js';

export type ResultFormatName =
  'votable-binary2' | 'votable-binary' | 'votable-tabledata' | 'csv' | 'tsv' | 'json' | 'fits';

export interface ResultFormat {
  readonly name: ResultFormatName;
  readonly contentType: string;
  /** TAPRegExt ivo-id of the format, when it has a standard one. */
  readonly ivoId?: string;
  readonly mime: string;
  readonly aliases: readonly string[];
}

/** Written with VOTable 1.4 headers: what STILTS 3.4 (Debian) validates; 1.5 adds nothing we use. */
export const VOTABLE_VERSION = '1.4';

export const RESULT_FORMATS: readonly ResultFormat[] = [
  {
    name: 'votable-binary2',
    contentType: 'application/x-votable+xml',
    mime: 'application/x-votable+xml',
    ivoId: 'ivo://ivoa.net/std/TAPRegExt#output-votable-binary2',
    aliases: [
      'votable',
      'application/x-votable+xml',
      'text/xml',
      'votable/b2',
      'application/x-votable+xml;serialization=binary2',
      'application/x-votable+xml; serialization=binary2',
      'votable/binary2',
    ],
  },
  {
    name: 'votable-binary',
    contentType: MEDIA_TYPES.BINARY,
    mime: 'application/x-votable+xml;serialization=BINARY',
    ivoId: 'ivo://ivoa.net/std/TAPRegExt#output-votable-binary',
    aliases: ['votable/b', 'votable/binary', 'application/x-votable+xml;serialization=binary'],
  },
  {
    name: 'votable-tabledata',
    contentType: MEDIA_TYPES.TABLEDATA,
    mime: 'application/x-votable+xml;serialization=TABLEDATA',
    ivoId: 'ivo://ivoa.net/std/TAPRegExt#output-votable-td',
    aliases: [
      'votable/td',
      'votabletd',
      'application/x-votable+xml;serialization=tabledata',
      'application/x-votable+xml; serialization=tabledata',
    ],
  },
  {
    name: 'csv',
    contentType: MEDIA_TYPES.csv,
    mime: 'text/csv',
    aliases: ['csv', 'text/csv', 'text/csv;header=present'],
  },
  {
    name: 'tsv',
    contentType: MEDIA_TYPES.tsv,
    mime: 'text/tab-separated-values',
    aliases: ['tsv', 'text/tab-separated-values'],
  },
  {
    name: 'json',
    contentType: MEDIA_TYPES.json,
    mime: 'application/json',
    aliases: ['json', 'application/json'],
  },
  {
    name: 'fits',
    contentType: 'application/fits',
    mime: 'application/fits',
    aliases: ['fits', 'application/fits', 'image/fits'],
  },
];

export function resolveFormat(value: string | undefined): ResultFormat {
  if (value === undefined || value.trim() === '') return RESULT_FORMATS[0] as ResultFormat;
  const wanted = value
    .trim()
    .toLowerCase()
    .replace(/\s*;\s*/g, ';');
  const found = RESULT_FORMATS.find((f) =>
    f.aliases.some((a) => a.toLowerCase().replace(/\s*;\s*/g, ';') === wanted),
  );
  if (!found) {
    const known = RESULT_FORMATS.map((f) => f.aliases[0]).join(', ');
    throw new DaliError(400, `RESPONSEFORMAT '${value}' is not supported; use one of ${known}`);
  }
  return found;
}

export function writeResult(
  format: ResultFormat,
  fields: readonly FieldDescription[],
  rows: RowSource,
  options: VotableWriteOptions & { readonly tmpDir?: string },
): AsyncIterable<Buffer> {
  switch (format.name) {
    case 'votable-binary2':
      return writeVotable(fields, rows, {
        ...options,
        serialization: 'BINARY2',
        version: VOTABLE_VERSION,
      });
    case 'votable-binary':
      return writeVotable(fields, rows, {
        ...options,
        serialization: 'BINARY',
        version: VOTABLE_VERSION,
      });
    case 'votable-tabledata':
      return writeVotable(fields, rows, {
        ...options,
        serialization: 'TABLEDATA',
        version: VOTABLE_VERSION,
      });
    case 'csv':
      return writeCsv(fields, rows);
    case 'tsv':
      return writeTsv(fields, rows);
    case 'json':
      return writeJson(fields, rows);
    case 'fits':
      return writeFitsResult(fields, rows, {
        ...(typeof options.overflow === 'function' ? { overflow: options.overflow } : {}),
        ...(options.tmpDir !== undefined ? { tmpDir: options.tmpDir } : {}),
      });
  }
}
