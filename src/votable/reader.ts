/**
 * Reading an uploaded VOTable (TAP_UPLOAD, DALI UPLOAD): the first TABLE of the
 * document becomes column metadata and rows. TABLEDATA, BINARY2 and BINARY with an
 * inline base64 STREAM are read; remote streams (href) and the FITS serialisation
 * are refused, as are DTDs. Size, row and column limits are enforced while
 * reading, and every error names the problem and where it is (line, row, field).
 */
import type { CellValue } from './cells.js';
import {
  binaryCellDecoder,
  ByteReader,
  textCellParser,
  type BinaryCellDecoder,
  type TextCellParser,
} from './decode.js';
import type { InfoElement } from './document.js';
import { VotableError } from './errors.js';
import {
  parseArraysize,
  VOTABLE_DATATYPES,
  type FieldDescription,
  type VotableDatatype,
} from './field.js';
import { decodeXmlBytes, XmlTokenizer, type XmlToken } from './xml-tokenizer.js';

export interface ReadLimits {
  /** Largest document accepted, in bytes (default 64 MiB). */
  readonly maxBytes?: number;
  /** Most rows accepted (default 1,000,000). */
  readonly maxRows?: number;
  /** Most FIELDs accepted (default 1000). */
  readonly maxFields?: number;
}

export const DEFAULT_READ_LIMITS: Required<ReadLimits> = {
  maxBytes: 64 * 2 ** 20,
  maxRows: 1_000_000,
  maxFields: 1000,
};

export type UploadSerialization = 'TABLEDATA' | 'BINARY' | 'BINARY2';

export interface UploadedTable {
  /** TABLE name attribute, if any. */
  readonly name?: string;
  readonly description?: string;
  readonly fields: readonly FieldDescription[];
  readonly rows: readonly (readonly CellValue[])[];
  readonly serialization: UploadSerialization;
  /** INFO elements of the RESOURCE that holds the table. */
  readonly infos: readonly InfoElement[];
}

type OpenToken = Extract<XmlToken, { kind: 'open' }>;

/** Reads an uploaded document held in memory. */
export function readVotable(document: Uint8Array | string, limits: ReadLimits = {}): UploadedTable {
  const max = { ...DEFAULT_READ_LIMITS, ...limits };
  const size = typeof document === 'string' ? Buffer.byteLength(document) : document.length;
  if (size > max.maxBytes) {
    throw new VotableError(`the upload has ${size} bytes, more than the limit of ${max.maxBytes}`);
  }
  const text = typeof document === 'string' ? document : decodeXmlBytes(document);
  return new UploadReader(new XmlTokenizer(text), max).read();
}

/** Reads an upload from a stream, refusing it as soon as it passes `maxBytes`. */
export async function readVotableStream(
  source: AsyncIterable<Uint8Array>,
  limits: ReadLimits = {},
): Promise<UploadedTable> {
  const maxBytes = limits.maxBytes ?? DEFAULT_READ_LIMITS.maxBytes;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > maxBytes)
      throw new VotableError(`the upload is larger than the limit of ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return readVotable(Buffer.concat(chunks), limits);
}

class UploadReader {
  private readonly fields: FieldDescription[] = [];
  private readonly rows: CellValue[][] = [];
  private readonly infos: InfoElement[] = [];
  private tableName: string | undefined;
  private tableDescription: string | undefined;
  private serialization: UploadSerialization | undefined;

  constructor(
    private readonly tokens: XmlTokenizer,
    private readonly limits: Required<ReadLimits>,
  ) {}

  read(): UploadedTable {
    const root = this.nextToken();
    if (root?.kind !== 'open' || root.name !== 'VOTABLE') {
      throw new VotableError(
        `not a VOTable: the root element is ${root?.kind === 'open' ? `<${root.name}>` : 'missing'}`,
      );
    }
    let tableFound = false;
    const resources: InfoElement[][] = [];
    let holder: InfoElement[] | undefined;
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind !== 'open') {
        if (token.kind === 'close' && token.name === 'RESOURCE') resources.pop();
        continue;
      }
      if (token.name === 'RESOURCE') {
        resources.push([]);
      } else if (token.name === 'INFO' && resources.length > 0) {
        resources.at(-1)?.push(this.readInfo(token));
      } else if (token.name === 'TABLE' && !tableFound && resources.length > 0) {
        tableFound = true;
        holder = resources.at(-1);
        this.readTable(token);
      } else {
        this.skipElement(token);
      }
    }
    if (!tableFound) throw new VotableError('the VOTable has no TABLE inside a RESOURCE');
    if (this.serialization === undefined) throw new VotableError('the TABLE has no DATA');
    this.infos.push(...(holder ?? []));
    const table: UploadedTable = {
      fields: this.fields,
      rows: this.rows,
      serialization: this.serialization,
      infos: this.infos,
    };
    return {
      ...table,
      ...(this.tableName === undefined ? {} : { name: this.tableName }),
      ...(this.tableDescription === undefined ? {} : { description: this.tableDescription }),
    };
  }

  private nextToken(): XmlToken | undefined {
    return this.tokens.next();
  }

  private fail(
    problem: string,
    at: XmlToken,
    context: { row?: number; field?: string } = {},
  ): never {
    throw new VotableError(problem, { ...context, line: this.tokens.lineAt(at.offset) });
  }

  /** Consumes everything up to the end of `open`, returning its text (nested text included). */
  private textOf(open: OpenToken, nested: 'allow' | 'refuse' = 'allow'): string {
    let text = '';
    let depth = 0;
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'text') text += token.text;
      else if (token.kind === 'open') {
        if (nested === 'refuse') this.fail(`<${token.name}> inside <${open.name}>`, token);
        depth++;
      } else if (depth-- === 0) return text;
    }
    return this.fail(`<${open.name}> is not closed`, open);
  }

  private skipElement(open: OpenToken): void {
    this.textOf(open);
  }

  private readInfo(open: OpenToken): InfoElement {
    const a = open.attributes;
    const content = this.textOf(open).trim();
    return {
      name: a.get('name') ?? '',
      value: a.get('value') ?? '',
      ...(content === '' ? {} : { content }),
    };
  }

  private readTable(open: OpenToken): void {
    this.tableName = open.attributes.get('name');
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'close') return; // </TABLE>
      if (token.kind === 'text') continue;
      if (token.name === 'FIELD') this.readField(token);
      else if (token.name === 'DESCRIPTION') this.tableDescription = this.textOf(token).trim();
      else if (token.name === 'DATA') this.readData(token);
      else this.skipElement(token);
    }
  }

  private readField(open: OpenToken): void {
    if (this.fields.length >= this.limits.maxFields) {
      this.fail(`the table has more than ${this.limits.maxFields} FIELDs`, open);
    }
    const a = open.attributes;
    const name = a.get('name')?.trim();
    if (name === undefined || name === '')
      this.fail(`FIELD ${this.fields.length + 1} has no name`, open);
    const datatype = a.get('datatype');
    if (datatype === undefined || !VOTABLE_DATATYPES.includes(datatype as VotableDatatype)) {
      this.fail(`unknown datatype '${datatype ?? ''}'`, open, { field: name });
    }
    const arraysize = a.get('arraysize')?.trim();
    try {
      parseArraysize(arraysize);
    } catch (error) {
      if (error instanceof VotableError) this.fail(error.problem, open, { field: name });
      throw error;
    }
    let description: string | undefined;
    let nullValue: string | undefined;
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'close') break;
      if (token.kind === 'text') continue;
      if (token.name === 'DESCRIPTION') description = this.textOf(token).trim();
      else {
        if (token.name === 'VALUES') nullValue = token.attributes.get('null');
        this.skipElement(token);
      }
    }
    const optional = {
      arraysize,
      xtype: a.get('xtype'),
      unit: a.get('unit'),
      ucd: a.get('ucd'),
      utype: a.get('utype'),
      description,
      id: a.get('ID'),
      ref: a.get('ref'),
      nullValue,
    };
    const field: Record<string, string> = { name, datatype };
    for (const [key, value] of Object.entries(optional))
      if (value !== undefined) field[key] = value;
    this.fields.push(field as unknown as FieldDescription);
  }

  private readData(open: OpenToken): void {
    if (this.fields.length === 0) this.fail('the TABLE has DATA but no FIELD', open);
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'close') return; // </DATA>
      if (token.kind === 'text') continue;
      if (token.name === 'TABLEDATA') this.readTabledata();
      else if (token.name === 'BINARY' || token.name === 'BINARY2') this.readBinary(token);
      else if (token.name === 'FITS') {
        this.fail(
          'the FITS serialisation is not supported in uploads (use TABLEDATA, BINARY or BINARY2)',
          token,
        );
      } else this.skipElement(token); // trailing INFO
    }
  }

  private addRow(row: CellValue[], at: XmlToken): void {
    if (this.rows.length >= this.limits.maxRows) {
      this.fail(`the table has more than ${this.limits.maxRows} rows`, at);
    }
    this.rows.push(row);
  }

  private readTabledata(): void {
    this.serialization = 'TABLEDATA';
    const parsers: TextCellParser[] = this.fields.map((f) =>
      textCellParser(f, parseArraysize(f.arraysize)),
    );
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'close') return; // </TABLEDATA>
      if (token.kind === 'text') {
        if (token.text.trim() !== '') this.fail('text outside TR in TABLEDATA', token);
        continue;
      }
      if (token.name !== 'TR') this.fail(`<${token.name}> inside TABLEDATA (expected TR)`, token);
      this.readTr(token, parsers);
    }
  }

  private readTr(tr: OpenToken, parsers: readonly TextCellParser[]): void {
    const rowNumber = this.rows.length + 1;
    const row: CellValue[] = [];
    let cells = 0;
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'close') {
        if (cells !== parsers.length) {
          this.fail(`row has ${cells} TD elements, the table has ${parsers.length} FIELDs`, tr, {
            row: rowNumber,
          });
        }
        this.addRow(row, tr);
        return;
      }
      if (token.kind === 'text') {
        if (token.text.trim() !== '') this.fail('text outside TD', token, { row: rowNumber });
        continue;
      }
      if (token.name !== 'TD')
        this.fail(`<${token.name}> inside TR (expected TD)`, token, { row: rowNumber });
      const column = cells++;
      const text = this.textOf(token, 'refuse');
      const parser = parsers[column];
      if (parser === undefined) continue; // an extra TD, reported at </TR>
      try {
        row.push(parser(text));
      } catch (error) {
        if (error instanceof VotableError) {
          this.fail(error.problem, token, { row: rowNumber, field: this.fields[column]?.name });
        }
        throw error;
      }
    }
  }

  private readBinary(open: OpenToken): void {
    const withFlags = open.name === 'BINARY2';
    this.serialization = withFlags ? 'BINARY2' : 'BINARY';
    let bytes: Uint8Array | undefined;
    for (let token = this.nextToken(); token !== undefined; token = this.nextToken()) {
      if (token.kind === 'close') break;
      if (token.kind === 'text') continue;
      if (token.name !== 'STREAM')
        this.fail(`<${token.name}> inside ${open.name} (expected STREAM)`, token);
      bytes = this.readStream(token);
    }
    if (bytes === undefined) this.fail(`${open.name} has no STREAM`, open);
    this.decodeRows(bytes, withFlags, open);
  }

  private readStream(stream: OpenToken): Uint8Array {
    if (stream.attributes.has('href')) {
      this.fail('remote STREAM (href) is not accepted in uploads: put the data inline', stream);
    }
    const encoding = stream.attributes.get('encoding') ?? 'none';
    if (encoding !== 'base64') {
      this.fail(
        `STREAM encoding '${encoding}' is not supported (inline data must be base64)`,
        stream,
      );
    }
    const text = this.textOf(stream, 'refuse').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
      this.fail('STREAM content is not valid base64', stream);
    }
    return Buffer.from(text, 'base64');
  }

  private decodeRows(bytes: Uint8Array, withFlags: boolean, at: XmlToken): void {
    const decoders: BinaryCellDecoder[] = this.fields.map((f) =>
      binaryCellDecoder(f, parseArraysize(f.arraysize)),
    );
    const reader = new ByteReader(bytes);
    const flagBytes = withFlags ? (decoders.length + 7) >> 3 : 0;
    while (reader.remaining > 0) {
      const rowNumber = this.rows.length + 1;
      let column = -1;
      try {
        const flagsAt = reader.take(flagBytes);
        const row: CellValue[] = new Array<CellValue>(decoders.length);
        for (column = 0; column < decoders.length; column++) {
          const value = decoders[column]!(reader);
          const isNull =
            withFlags && (bytes[flagsAt + (column >> 3)]! & (0x80 >> (column & 7))) !== 0;
          row[column] = isNull ? null : value;
        }
        this.addRow(row, at);
      } catch (error) {
        if (error instanceof VotableError && error.row === undefined) {
          const field = this.fields[column]?.name;
          this.fail(
            error.problem,
            at,
            field === undefined ? { row: rowNumber } : { row: rowNumber, field },
          );
        }
        throw error;
      }
    }
  }
}
