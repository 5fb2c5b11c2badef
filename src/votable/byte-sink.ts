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
   * take). Base64 is ASCII: its text is copied as Latin-1, a byte copy, where encoding
   * it as UTF-8 took twice as long as making it.
   */
  takeBase64Line(final: boolean): Buffer {
    const whole = final ? this.length : this.length - (this.length % 3);
    if (whole === 0) return Buffer.alloc(0);
    const text = this.buffer.toString('base64', 0, whole);
    const line = Buffer.allocUnsafe(text.length + 1);
    line.write(text, 0, 'latin1');
    line[text.length] = 0x0a;
    this.buffer.copyWithin(0, whole, this.length);
    this.length -= whole;
    return line;
  }
}
