/**
 * The PNG encoder: chunk CRCs, the IHDR size, and pixels that an independent
 * decoder (Python's zlib with the PNG unfiltering written out) reads back exactly,
 * for images that exercise every filter type.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32, encodePng, pngSize, PNG_SIGNATURE, type RgbImage } from '../../src/preview/png.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const DECODE = String.raw`
import json, struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
at, chunks, idat = 8, [], b''
while at < len(data):
    length, kind = struct.unpack('>I4s', data[at:at + 8])
    body = data[at + 8:at + 8 + length]
    crc, = struct.unpack('>I', data[at + 8 + length:at + 12 + length])
    assert zlib.crc32(kind + body) == crc, kind
    chunks.append(kind.decode())
    if kind == b'IHDR':
        width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
    if kind == b'IDAT':
        idat += body
    at += 12 + length
raw, stride, out, prev, filters = zlib.decompress(idat), width * 3, bytearray(), bytearray(width * 3), set()
for y in range(height):
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    filters.add(f)
    for i in range(stride):
        a = row[i - 3] if i >= 3 else 0
        b = prev[i]
        c = prev[i - 3] if i >= 3 else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    out += row
    prev = row
print(json.dumps({'chunks': chunks, 'size': [width, height, depth, colour, interlace],
                  'pixels': out.hex(), 'filters': sorted(filters)}))
`;

/** Smooth gradients (sub, up, Paeth win), flat runs (none) and noise, so rows pick different filters. */
function testImage(width: number, height: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  let seed = 12345;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      const kind = Math.floor(y / 8) % 4;
      pixels[at] = kind === 0 ? x * 3 : kind === 1 ? 200 : kind === 2 ? noise() : (x + y) & 255;
      pixels[at + 1] = kind === 0 ? y * 5 : kind === 1 ? 200 : noise();
      pixels[at + 2] = (x * y) & 255;
    }
  }
  return { width, height, pixels };
}

test('CRC-32 of a chunk type matches the value every PNG carries for IEND', () => {
  assert.equal(crc32(Buffer.from('IEND', 'latin1')), 0xae426082);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('signature, IHDR size and colour type, text chunks', () => {
  const png = encodePng(testImage(37, 23), { Title: 'test' });
  assert.deepEqual(new Uint8Array(png.subarray(0, 8)), PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), { width: 37, height: 23 });
  assert.equal(png[24], 8); // bit depth
  assert.equal(png[25], 2); // RGB
  assert.ok(png.includes(Buffer.from('tEXtTitle\0test', 'latin1')));
  assert.throws(() => pngSize(Buffer.from('GIF89a')), /not a PNG/);
});

test('an independent decoder reads every pixel back, through all five filter types', (t) => {
  if (!requireChecker(t, 'python3', [PYTHON, '-c', 'import zlib'])) return;
  const image = testImage(61, 64);
  const path = join(tempDir(t), 'image.png');
  writeFileSync(path, encodePng(image));
  const decoded = runPythonJson<{
    chunks: string[];
    size: number[];
    pixels: string;
    filters: number[];
  }>(DECODE, [path]);
  assert.deepEqual(decoded.chunks, ['IHDR', 'IDAT', 'IEND']);
  assert.deepEqual(decoded.size, [61, 64, 8, 2, 0]);
  assert.equal(decoded.pixels, Buffer.from(image.pixels).toString('hex'));
  assert.ok(decoded.filters.length >= 3, `filters used: ${decoded.filters.join(',')}`);
});

test('sizes that do not match the pixels are refused', () => {
  assert.throws(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(11) }), RangeError);
  assert.throws(() => encodePng({ width: 0, height: 2, pixels: new Uint8Array(0) }), RangeError);
});
