/**
 * Reading cell values of an uploaded VOTable: TD text (VOTable 1.5 §6 syntax:
 * decimal or 0x integers, NaN/+Inf/-Inf, T/F/true/false/?) and BINARY/BINARY2
 * bytes. Values come out as the writer takes them in: numbers, bigint for long,
 * strings, booleans, flat arrays ([re, im] pairs for complex). The VALUES null
 * magic value of integer fields is honoured (VOTable 1.5 §5.5).
 */
import { describeValue, type CellValue } from './cells.js';
import { VotableError } from './errors.js';
import {
  ELEMENT_BYTES,
  INTEGER_RANGES,
  LONG_MAX,
  LONG_MIN,
  type ArrayShape,
  type FieldDescription,
  type VotableDatatype,
} from './field.js';

const DECIMAL_INTEGER = /^[+-]?[0-9]+$/;
const HEX_INTEGER = /^0[xX][0-9a-fA-F]+$/;
const REAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const INFINITY = /^([+-]?)inf(inity)?$/i;
const BITS: Readonly<Record<'unsignedByte' | 'short' | 'int' | 'long', number>> = {
  unsignedByte: 8,
  short: 16,
  int: 32,
  long: 64,
};

function badValue(text: string, datatype: VotableDatatype): VotableError {
  return new VotableError(`bad value ${describeValue(text)} for datatype ${datatype}`);
}

function parseIntegerText(
  text: string,
  datatype: 'unsignedByte' | 'short' | 'int' | 'long',
): bigint {
  const bits = BITS[datatype];
  let value: bigint;
  if (DECIMAL_INTEGER.test(text)) {
    value = BigInt(text);
  } else if (HEX_INTEGER.test(text) && text.length - 2 <= bits / 4) {
    // Hexadecimal gives the bit pattern (two's complement for the signed types).
    value = BigInt(text.toLowerCase());
    if (datatype !== 'unsignedByte') value = BigInt.asIntN(bits, value);
  } else {
    throw badValue(text, datatype);
  }
  const [min, max] =
    datatype === 'long' ? [LONG_MIN, LONG_MAX] : INTEGER_RANGES[datatype].map(BigInt);
  if (value < (min as bigint) || value > (max as bigint)) {
    throw new VotableError(`${text} is outside the range of datatype ${datatype}`);
  }
  return value;
}

function parseRealText(text: string, datatype: VotableDatatype): number {
  if (REAL.test(text)) return Number(text);
  if (/^nan$/i.test(text)) return NaN;
  const infinity = INFINITY.exec(text);
  if (infinity) return infinity[1] === '-' ? -Infinity : Infinity;
  throw badValue(text, datatype);
}

function parseBooleanText(text: string): boolean | null {
  switch (text.toLowerCase()) {
    case 't':
    case '1':
    case 'true':
      return true;
    case 'f':
    case '0':
    case 'false':
      return false;
    case '?':
    case '':
      return null;
    default:
      throw badValue(text, 'boolean');
  }
}

/** Parses one element of the given datatype from its text. */
type ElementParser = (text: string) => CellValue;

function elementParser(datatype: VotableDatatype): ElementParser {
  switch (datatype) {
    case 'boolean':
      return parseBooleanText;
    case 'bit':
      return (text) => {
        if (text === '1') return true;
        if (text === '0') return false;
        throw badValue(text, datatype);
      };
    case 'unsignedByte':
    case 'short':
    case 'int':
      return (text) => Number(parseIntegerText(text, datatype));
    case 'long':
      return (text) => parseIntegerText(text, datatype);
    case 'float':
    case 'double':
    case 'floatComplex':
    case 'doubleComplex':
      return (text) => {
        const value = parseRealText(text, datatype);
        return datatype === 'float' || datatype === 'floatComplex' ? Math.fround(value) : value;
      };
    case 'char':
    case 'unicodeChar':
      throw new VotableError(`datatype ${datatype} is not an element type`);
  }
}

/** Parses the text of a TD; an empty TD is null. */
export type TextCellParser = (text: string) => CellValue;

function magicNullOf(field: FieldDescription): bigint | undefined {
  if (field.nullValue === undefined) return undefined;
  const datatype = field.datatype;
  if (
    datatype !== 'unsignedByte' &&
    datatype !== 'short' &&
    datatype !== 'int' &&
    datatype !== 'long'
  ) {
    return undefined;
  }
  try {
    return parseIntegerText(field.nullValue.trim(), datatype);
  } catch {
    throw new VotableError(`VALUES null '${field.nullValue}' is not a ${datatype}`, {
      field: field.name,
    });
  }
}

function magicToNull(value: CellValue, magic: bigint | undefined): CellValue {
  if (magic === undefined) return value;
  return (typeof value === 'number' || typeof value === 'bigint') && BigInt(value) === magic
    ? null
    : value;
}

export function textCellParser(
  field: FieldDescription,
  shape: ArrayShape | undefined,
): TextCellParser {
  const datatype = field.datatype;
  if (datatype === 'char' || datatype === 'unicodeChar')
    return (text) => (text === '' ? null : text);
  const magic = magicNullOf(field);
  const element = elementParser(datatype);
  const components = datatype === 'floatComplex' || datatype === 'doubleComplex' ? 2 : 1;
  if (shape === undefined && components === 1) {
    return (raw) => {
      const text = raw.trim();
      if (text === '') return null;
      return magicToNull(element(text), magic);
    };
  }
  return (raw) => {
    const text = raw.trim();
    if (text === '') return null;
    const parts = datatype === 'bit' ? Array.from(text.replace(/\s+/g, '')) : text.split(/\s+/);
    if (parts.length % components !== 0) {
      throw new VotableError(`complex value needs pairs of numbers, got ${parts.length} numbers`);
    }
    checkCount(parts.length / components, shape, field);
    return parts.map(element) as CellValue;
  };
}

function checkCount(
  elements: number,
  shape: ArrayShape | undefined,
  field: FieldDescription,
): void {
  if (shape === undefined) {
    if (elements !== 1)
      throw new VotableError(`expected one ${field.datatype} value, got ${elements}`);
    return;
  }
  if (!shape.variable && elements !== shape.maxElements) {
    throw new VotableError(
      `array has ${elements} elements, arraysize ${shape.text} needs ${shape.maxElements}`,
    );
  }
  if (shape.variable && elements % shape.unit !== 0) {
    throw new VotableError(
      `array has ${elements} elements, not a multiple of ${shape.unit} (arraysize ${shape.text})`,
    );
  }
  if (shape.variable && shape.maxElements !== undefined && elements > shape.maxElements) {
    throw new VotableError(`array has ${elements} elements, more than arraysize ${shape.text}`);
  }
}

// ---------------------------------------------------------------- binary

/** Reads big-endian primitives from a decoded BINARY/BINARY2 stream. */
export class ByteReader {
  readonly view: DataView;
  offset = 0;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Claims `count` bytes, or fails when the stream ends first. */
  take(count: number): number {
    if (count > this.remaining) throw new VotableError('the data stream ends inside a cell');
    const at = this.offset;
    this.offset += count;
    return at;
  }

  count(): number {
    const n = this.view.getInt32(this.take(4));
    if (n < 0) throw new VotableError(`negative array length ${n} in the data stream`);
    return n;
  }
}

export type BinaryCellDecoder = (reader: ByteReader) => CellValue;

type BinaryElement = (reader: ByteReader) => number | bigint | boolean | null;

function binaryElement(datatype: VotableDatatype): BinaryElement {
  switch (datatype) {
    case 'boolean':
      return (r) => {
        const c = r.view.getUint8(r.take(1));
        if (c === 0x54 || c === 0x74 || c === 0x31) return true; // T t 1
        if (c === 0x46 || c === 0x66 || c === 0x30) return false; // F f 0
        return null;
      };
    case 'unsignedByte':
      return (r) => r.view.getUint8(r.take(1));
    case 'short':
      return (r) => r.view.getInt16(r.take(2));
    case 'int':
      return (r) => r.view.getInt32(r.take(4));
    case 'long':
      return (r) => r.view.getBigInt64(r.take(8));
    case 'float':
    case 'floatComplex':
      return (r) => r.view.getFloat32(r.take(4));
    case 'double':
    case 'doubleComplex':
      return (r) => r.view.getFloat64(r.take(8));
    case 'bit':
    case 'char':
    case 'unicodeChar':
      throw new VotableError(`datatype ${datatype} is not a binary element type`);
  }
}

function readBits(reader: ByteReader, count: number): boolean[] {
  const at = reader.take(Math.ceil(count / 8));
  const bits: boolean[] = new Array<boolean>(count);
  for (let i = 0; i < count; i++)
    bits[i] = (reader.bytes[at + (i >> 3)]! & (0x80 >> (i & 7))) !== 0;
  return bits;
}

function readChars(reader: ByteReader, count: number, wide: boolean, cutAtNul: boolean): string {
  const at = reader.take(count * (wide ? 2 : 1));
  let text: string;
  if (wide) {
    text = Buffer.from(reader.bytes.subarray(at, at + 2 * count))
      .swap16()
      .toString('utf16le');
  } else {
    text = Buffer.from(reader.bytes.buffer, reader.bytes.byteOffset + at, count).toString('latin1');
  }
  if (!cutAtNul) return text;
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/** The decoder of one field; variable lengths are checked against what the stream still holds. */
export function binaryCellDecoder(
  field: FieldDescription,
  shape: ArrayShape | undefined,
): BinaryCellDecoder {
  const datatype = field.datatype;
  const sizeOf = ELEMENT_BYTES[datatype];
  /** Elements in this cell: fixed, or the stream's count (VOTable counts elements, complex as one). */
  const lengthOf = (reader: ByteReader, elementBytes: number): number => {
    if (shape !== undefined && !shape.variable) return shape.maxElements ?? 0;
    const elements = reader.count();
    if (elements * elementBytes > reader.remaining) {
      throw new VotableError(`array length ${elements} runs past the end of the data stream`);
    }
    if (shape !== undefined && elements % shape.unit !== 0) {
      throw new VotableError(
        `array length ${elements} is not a multiple of ${shape.unit} (arraysize ${shape.text})`,
      );
    }
    return elements;
  };
  if (datatype === 'char' || datatype === 'unicodeChar') {
    const wide = datatype === 'unicodeChar';
    return (reader) =>
      readChars(reader, shape === undefined ? 1 : lengthOf(reader, sizeOf), wide, true);
  }
  if (datatype === 'bit') {
    // The standard sets the most significant bit; astropy 5 writes 0x08, so any set bit reads as true.
    if (shape === undefined) return (reader) => reader.view.getUint8(reader.take(1)) !== 0;
    return (reader) => readBits(reader, lengthOf(reader, 1 / 8));
  }
  const element = binaryElement(datatype);
  const components = datatype === 'floatComplex' || datatype === 'doubleComplex' ? 2 : 1;
  const magic = magicNullOf(field);
  if (shape === undefined && components === 1) {
    return magic === undefined ? element : (reader) => magicToNull(element(reader), magic);
  }
  return (reader) => {
    const count = (shape === undefined ? 1 : lengthOf(reader, sizeOf)) * components;
    const values = new Array<number | bigint | boolean | null>(count);
    for (let i = 0; i < count; i++) values[i] = element(reader);
    return values as CellValue;
  };
}
