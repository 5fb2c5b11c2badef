/**
 * A PNG encoder for 8-bit RGB images (PNG spec, ISO/IEC 15948): signature, IHDR,
 * optional tEXt, one IDAT compressed with Node's zlib, IEND. Each row gets the
 * filter (none, sub, up, average, Paeth) with the smallest sum of absolute
 * differences, the heuristic the spec recommends for true-colour images.
 */
import { deflateSync } from 'node:zlib';

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** An image of `width` x `height` pixels, 3 bytes (R, G, B) each, rows top to bottom. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, the one PNG chunks carry). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

const BYTES_PER_PIXEL = 3;

/** PNG filter types (PNG spec, 9.2), by name. */
export const PNG_FILTERS = { none: 0, sub: 1, up: 2, average: 3, paeth: 4 } as const;
/** One filter for every row, or `adaptive`: per row the one that costs least. */
export type PngFilter = keyof typeof PNG_FILTERS | 'adaptive';

/** Stores a filtered byte; returns its cost (the absolute value as a signed byte). */
function put(out: Uint8Array, i: number, value: number): number {
  const v = value & 0xff;
  out[i] = v;
  return v < 128 ? v : 256 - v;
}

/**
 * Writes `row` filtered with `type` into `out` and returns the cost (sum of absolute
 * differences as signed bytes). One loop per type, so the inner loop has no dispatch.
 */
function filterRow(
  type: number,
  row: Uint8Array,
  previous: Uint8Array | undefined,
  out: Uint8Array,
): number {
  const n = row.length;
  const lead = Math.min(BYTES_PER_PIXEL, n);
  let cost = 0;
  if (type === 0 || (type === 2 && !previous)) {
    for (let i = 0; i < n; i++) cost += put(out, i, row[i]!);
  } else if (type === 1 || (type === 4 && !previous)) {
    // Paeth with no previous row predicts from the left, as sub does.
    for (let i = 0; i < lead; i++) cost += put(out, i, row[i]!);
    for (let i = lead; i < n; i++) cost += put(out, i, row[i]! - row[i - BYTES_PER_PIXEL]!);
  } else if (type === 2) {
    for (let i = 0; i < n; i++) cost += put(out, i, row[i]! - previous![i]!);
  } else if (type === 3) {
    for (let i = 0; i < lead; i++)
      cost += put(out, i, row[i]! - ((previous ? previous[i]! : 0) >> 1));
    for (let i = lead; i < n; i++) {
      const up = previous ? previous[i]! : 0;
      cost += put(out, i, row[i]! - ((row[i - BYTES_PER_PIXEL]! + up) >> 1));
    }
  } else {
    const above = previous!;
    for (let i = 0; i < lead; i++) cost += put(out, i, row[i]! - above[i]!);
    for (let i = lead; i < n; i++) {
      const a = row[i - BYTES_PER_PIXEL]!;
      const b = above[i]!;
      const c = above[i - BYTES_PER_PIXEL]!;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      cost += put(out, i, row[i]! - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
    }
  }
  return cost;
}

/** The filtered scanlines, each row prefixed by its filter type. */
function filteredScanlines(image: RgbImage, filter: PngFilter): Uint8Array {
  const stride = image.width * BYTES_PER_PIXEL;
  const out = new Uint8Array((stride + 1) * image.height);
  const candidate = new Uint8Array(stride);
  const fixed = filter === 'adaptive' ? undefined : PNG_FILTERS[filter];
  for (let y = 0; y < image.height; y++) {
    const row = image.pixels.subarray(y * stride, (y + 1) * stride);
    const previous = y > 0 ? image.pixels.subarray((y - 1) * stride, y * stride) : undefined;
    const target = out.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    let best = filterRow(fixed ?? 0, row, previous, target);
    out[y * (stride + 1)] = fixed ?? 0;
    for (let type = 1; fixed === undefined && type <= 4 && best > 0; type++) {
      const cost = filterRow(type, row, previous, candidate);
      if (cost < best) {
        best = cost;
        target.set(candidate);
        out[y * (stride + 1)] = type;
      }
    }
  }
  return out;
}

/**
 * Encodes an RGB image as PNG; `text` becomes tEXt chunks (Latin-1 keywords and values).
 * `level` is zlib's (default 9, the smallest file; 6 is many times faster on noisy images);
 * `filter` is per row adaptive by default (the smallest files), or one filter for all rows
 * (five times less filtering work, for pictures made in bulk).
 */
export function encodePng(
  image: RgbImage,
  text: Readonly<Record<string, string>> = {},
  options: { readonly level?: number; readonly filter?: PngFilter } = {},
): Buffer {
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`a PNG needs a positive integer size, not ${width}x${height}`);
  }
  if (image.pixels.length !== width * height * BYTES_PER_PIXEL) {
    throw new RangeError(`${width}x${height} RGB pixels need ${width * height * 3} bytes`);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  const chunks = [PNG_SIGNATURE, chunk('IHDR', header)];
  for (const [keyword, value] of Object.entries(text)) {
    chunks.push(chunk('tEXt', Buffer.from(`${keyword}\0${value}`, 'latin1')));
  }
  chunks.push(
    chunk(
      'IDAT',
      deflateSync(filteredScanlines(image, options.filter ?? 'adaptive'), {
        level: options.level ?? 9,
      }),
    ),
  );
  chunks.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(chunks);
}

/** Width and height from a PNG's IHDR; throws when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = bytes.subarray(0, 8);
  if (bytes.length < 33 || !signature.every((b, i) => b === PNG_SIGNATURE[i])) {
    throw new Error('not a PNG file: the signature is missing');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (Buffer.from(bytes.subarray(12, 16)).toString('latin1') !== 'IHDR') {
    throw new Error('not a PNG file: the first chunk is not IHDR');
  }
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
