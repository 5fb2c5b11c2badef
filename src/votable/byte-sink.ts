/**
 * A growable big-endian byte buffer for BINARY2 rows. Rows are appended, and
 * whole base64 quanta (multiples of 3 bytes) are taken from the front as the
 * buffer fills, so memory stays at about one flush size however long the table.
 */
export class ByteSink {
  private buffer: Buffer;
  private view: DataView;
  length = 0;

  constructor(initialBytes = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** The buffer rows are written to (valid until the next reserve). */
  get bytes(): Buffer {
    return this.buffer;
  }

  get dataView(): DataView {
    return this.view;
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  at(offset: number): number {
    return this.buffer[offset] ?? 0;
  }

  setU8(offset: number, value: number): void {
    this.buffer[offset] = value;
  }

  i16(value: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, value);
    this.length += 2;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
  }

  i32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value);
    this.length += 4;
  }

  i64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, value);
    this.length += 8;
  }

  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value);
    this.length += 8;
  }

  /** Appends text whose characters are all below U+0100, one byte each. */
  latin1(text: string): void {
    this.reserve(text.length);
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  zeros(bytes: number): void {
    this.reserve(bytes);
    this.buffer.fill(0, this.length, this.length + bytes);
    this.length += bytes;
  }

  /** Drops everything after `length` (a row that failed half-way). */
  truncate(length: number): void {
    this.length = Math.min(this.length, length);
  }

  /**
   * Base64 of the largest multiple of 3 bytes held (all bytes when `final`), removed
   * from the sink, as bytes with a newline after it (empty when there is nothing to
   * take). Written straight into the bytes sent: Node's encoder makes a JS string (as
   * many bytes of garbage on the JS heap as the result has, which under concurrent
   * requests made the garbage collector copy the live batches more often) that must
   * then be copied again into bytes.
   */
  takeBase64Line(final: boolean): Buffer {
    const whole = final ? this.length : this.length - (this.length % 3);
    if (whole === 0) return Buffer.alloc(0);
    const line = base64Line(this.buffer, whole);
    this.buffer.copyWithin(0, whole, this.length);
    this.length -= whole;
    return line;
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** The two base64 characters of each 12-bit value, in the byte order of the machine's Uint16. */
const BASE64_PAIRS = new Uint16Array(4096);
const pairBytes = new Uint8Array(BASE64_PAIRS.buffer);
for (let v = 0; v < 4096; v++) {
  pairBytes[2 * v] = BASE64.charCodeAt(v >> 6);
  pairBytes[2 * v + 1] = BASE64.charCodeAt(v & 63);
}
/** Whether two pairs make the four characters of a Uint32 as `first | second << 16`. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The four characters of a 24-bit value as one Uint32 (little-endian machines). */
const quad = (v: number): number => BASE64_PAIRS[v >>> 12]! | (BASE64_PAIRS[v & 4095]! << 16);

/** The base64 (RFC 4648, padded) of the first `count` bytes, and a newline. */
function base64Line(bytes: Uint8Array, count: number): Buffer {
  const whole = count - (count % 3);
  // Not from Node's pool: at offset 0, so characters go in aligned stores.
  const line = Buffer.allocUnsafeSlow(Math.floor((count + 2) / 3) * 4 + 1);
  let i = 0;
  if (LITTLE_ENDIAN) {
    // Twelve bytes (three big-endian words) become sixteen characters in four stores:
    // 1.7-2.2× the speed of three bytes at a time (bench/PROFILE.md, eleventh slice).
    const quads = new Uint32Array(line.buffer, line.byteOffset, whole / 3);
    const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const blocks = whole - (whole % 12);
    for (let j = 0; i < blocks; i += 12, j += 4) {
      const a = words.getUint32(i);
      const b = words.getUint32(i + 4);
      const c = words.getUint32(i + 8);
      quads[j] = quad(a >>> 8);
      quads[j + 1] = quad(((a & 0xff) << 16) | (b >>> 16));
      quads[j + 2] = quad(((b & 0xffff) << 8) | (c >>> 24));
      quads[j + 3] = quad(c & 0xffffff);
    }
  }
  const pairs = new Uint16Array(line.buffer, line.byteOffset, (whole / 3) * 2);
  for (let j = (i / 3) * 2; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    pairs[j++] = BASE64_PAIRS[v >>> 12]!;
    pairs[j++] = BASE64_PAIRS[v & 4095]!;
  }
  let at = (whole / 3) * 4;
  const rest = count - whole;
  if (rest > 0) {
    const v = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0);
    line[at++] = BASE64.charCodeAt(v >>> 18);
    line[at++] = BASE64.charCodeAt((v >>> 12) & 63);
    line[at++] = rest === 2 ? BASE64.charCodeAt((v >>> 6) & 63) : 0x3d;
    line[at++] = 0x3d;
  }
  line[at] = 0x0a;
  return line;
}
