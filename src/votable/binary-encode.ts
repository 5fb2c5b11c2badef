/**
 * BINARY2 encoding of one field (VOTable 1.5 §5.4-5.5): big-endian primitives,
 * variable-length arrays after a 4-byte element count, fixed strings padded with
 * NUL, and the filler written for a null cell (NaN for floating types, zero bytes
 * otherwise, an empty array for variable lengths) next to the row's null flag.
 */
import type { ByteSink } from './byte-sink.js';
import {
  arrayShapeOf,
  booleanElement,
  checkArrayCell,
  componentsOf,
  integerElement,
  longElement,
  realElement,
  stringCell,
  type CellValue,
} from './cells.js';
import { VotableError } from './errors.js';
import {
  ELEMENT_BYTES,
  type ArrayShape,
  type FieldDescription,
  type VotableDatatype,
} from './field.js';

export interface BinaryFieldEncoder {
  /** Appends a non-null cell. */
  readonly write: (sink: ByteSink, value: CellValue) => void;
  /** Appends the bytes standing for a null cell. */
  readonly writeNull: (sink: ByteSink) => void;
}

type ElementWriter = (sink: ByteSink, value: unknown) => void;

function elementWriter(datatype: VotableDatatype): ElementWriter {
  switch (datatype) {
    case 'boolean':
      return (sink, v) => sink.u8(booleanElement(v, datatype) ? 0x54 : 0x46); // 'T' / 'F'
    case 'unsignedByte':
      return (sink, v) => sink.u8(integerElement(v, datatype));
    case 'short':
      return (sink, v) => sink.i16(integerElement(v, datatype));
    case 'int':
      return (sink, v) => sink.i32(integerElement(v, datatype));
    case 'long':
      return (sink, v) => sink.i64(longElement(v));
    case 'float':
    case 'floatComplex':
      return (sink, v) => sink.f32(realElement(v, datatype));
    case 'double':
    case 'doubleComplex':
      return (sink, v) => sink.f64(realElement(v, datatype));
    case 'bit':
    case 'char':
    case 'unicodeChar':
      throw new VotableError(`datatype ${datatype} has no element writer`);
  }
}

function isFloating(datatype: VotableDatatype): boolean {
  return (
    datatype === 'float' ||
    datatype === 'double' ||
    datatype === 'floatComplex' ||
    datatype === 'doubleComplex'
  );
}

/** Filler of `elements` null elements: NaN for floating types, zero bytes otherwise. */
function nullElements(datatype: VotableDatatype, elements: number): (sink: ByteSink) => void {
  if (datatype === 'bit') return (sink) => sink.zeros(Math.ceil(elements / 8));
  if (!isFloating(datatype)) {
    const bytes = ELEMENT_BYTES[datatype] * elements;
    return (sink) => sink.zeros(bytes);
  }
  const count = elements * componentsOf(datatype);
  const single = datatype === 'float' || datatype === 'floatComplex';
  return (sink) => {
    for (let i = 0; i < count; i++) {
      if (single) sink.f32(NaN);
      else sink.f64(NaN);
    }
  };
}

function writeBits(sink: ByteSink, array: ArrayLike<unknown>): void {
  let byte = 0;
  for (let i = 0; i < array.length; i++) {
    if (booleanElement(array[i], 'bit')) byte |= 0x80 >> (i % 8);
    if (i % 8 === 7) {
      sink.u8(byte);
      byte = 0;
    }
  }
  if (array.length % 8 !== 0) sink.u8(byte);
}

function stringEncoder(field: FieldDescription, shape: ArrayShape | undefined): BinaryFieldEncoder {
  if (shape?.multidimensional) {
    throw new VotableError(
      `arrays of strings (arraysize ${shape.text} for ${field.datatype}) are not supported by the writer`,
      { field: field.name },
    );
  }
  const wide = field.datatype === 'unicodeChar';
  const unitBytes = wide ? 2 : 1;
  const putChars = (sink: ByteSink, text: string): void => {
    if (!wide) {
      sink.latin1(text);
      return;
    }
    for (let i = 0; i < text.length; i++) sink.u16(text.charCodeAt(i));
  };
  if (shape !== undefined && shape.variable) {
    return {
      write: (sink, value) => {
        const text = stringCell(value, field, shape, 'votable');
        sink.i32(text.length);
        putChars(sink, text);
      },
      writeNull: (sink) => sink.i32(0),
    };
  }
  const size = shape?.maxElements ?? 1;
  return {
    write: (sink, value) => {
      const text = stringCell(value, field, shape, 'votable');
      putChars(sink, text);
      sink.zeros((size - text.length) * unitBytes);
    },
    writeNull: (sink) => sink.zeros(size * unitBytes),
  };
}

/** The BINARY2 encoder of one field. */
export function binaryFieldEncoder(
  field: FieldDescription,
  shape: ArrayShape | undefined,
): BinaryFieldEncoder {
  const datatype = field.datatype;
  if (datatype === 'char' || datatype === 'unicodeChar') return stringEncoder(field, shape);
  if (shape === undefined && datatype === 'bit') {
    return {
      write: (sink, value) => sink.u8(booleanElement(value, datatype) ? 0x80 : 0),
      writeNull: (sink) => sink.u8(0),
    };
  }
  const element: ElementWriter = datatype === 'bit' ? () => undefined : elementWriter(datatype);
  const arrayShape = arrayShapeOf(field, shape);
  if (arrayShape === undefined) return { write: element, writeNull: nullElements(datatype, 1) };
  const components = componentsOf(datatype);
  if (arrayShape.variable && (arrayShape.multidimensional || components === 2)) {
    // VOTable counts elements; astropy 5 reads AxB* counts as rows of A, STIL 4.1 complex counts as floats.
    throw new VotableError(
      `BINARY2 of variable-length ${components === 2 ? 'complex' : 'multidimensional'} arrays ` +
        `(arraysize ${arrayShape.text}) is read differently by astropy and STIL: write this table as TABLEDATA`,
      { field: field.name },
    );
  }
  const writeElements = (sink: ByteSink, array: ArrayLike<unknown>): void => {
    if (datatype === 'bit') writeBits(sink, array);
    else for (let i = 0; i < array.length; i++) element(sink, array[i]);
  };
  if (arrayShape.variable) {
    return {
      write: (sink, value) => {
        const array = checkArrayCell(value, field, arrayShape);
        sink.i32(array.length / components);
        writeElements(sink, array);
      },
      writeNull: (sink) => sink.i32(0),
    };
  }
  return {
    write: (sink, value) => writeElements(sink, checkArrayCell(value, field, arrayShape)),
    writeNull: nullElements(datatype, arrayShape.maxElements ?? 0),
  };
}
