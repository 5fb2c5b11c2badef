/**
 * The BINARY2 stream's base64, taken from the sink a line at a time as rows are
 * written, adds up to the base64 of all the bytes (RFC 4648, padded at the end only).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteSink } from '../../src/votable/byte-sink.js';

test('base64 lines equal Node’s base64, whole quanta taken first, the rest when final', () => {
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (const size of [
    0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 23, 24, 25, 100, 4095, 4096, 4097, 65536, 200_003,
  ]) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = next() & 0xff;
    const sink = new ByteSink(16);
    let sent = '';
    // Written in uneven pieces, taken as they come, the rest at the end.
    for (let at = 0; at < size;) {
      const piece = Math.min(size - at, 1 + (next() % 5000));
      sink.reserve(piece);
      bytes.copy(sink.bytes, sink.length, at, at + piece);
      sink.length += piece;
      at += piece;
      const line = sink.takeBase64Line(false);
      assert.equal(line.length === 0 || line.at(-1) === 0x0a, true);
      sent += line.toString('latin1').replace(/\n/g, '');
    }
    sent += sink.takeBase64Line(true).toString('latin1').replace(/\n/g, '');
    assert.equal(sink.length, 0);
    assert.equal(sent, bytes.toString('base64'), `${size} bytes`);
  }
});
