/**
 * The fast number printer writes what ECMAScript's String() writes: result cells and
 * STC-S polygons keep their bytes whichever path printed a number.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberText, stcsOf } from '../../src/schema/types.js';
import { formatDouble } from '../../src/votable/index.js';
import { random } from '../helpers/random.js';

test('numberText equals String() on catalog-like and arbitrary doubles', () => {
  const next = random(17);
  const edges = [
    0,
    -0,
    1,
    -1,
    0.1,
    0.5,
    1e-6,
    -1e-6,
    5e-7,
    1e-7,
    0.000001,
    0.0000015,
    999999999.999999,
    1e9,
    1e9 + 0.5,
    123456789.123456,
    8679394658.65541,
    2 ** 53,
    1e15,
    1e21,
    1.5e21,
    NaN,
    Infinity,
    -Infinity,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    303.622987,
    -45.02827,
    360,
    1e-300,
  ];
  const values: number[] = [...edges];
  for (let i = 0; i < 200_000; i++) {
    const pick = next();
    const decimals = Math.floor(next() * 8);
    if (pick < 0.4) values.push(Math.round((next() * 720 - 360) * 1e6) / 1e6);
    else if (pick < 0.7)
      values.push(Math.round((next() - 0.5) * 2e10 * 10 ** decimals) / 10 ** decimals);
    else values.push((next() - 0.5) * 10 ** (next() * 40 - 20));
  }
  for (const value of values) assert.equal(numberText(value), String(value), `value ${value}`);
  assert.equal(formatDouble(-0), '-0');
  assert.equal(formatDouble(-12.5), '-12.5');
});

test('stcsOf writes polygons with the numbers String() writes', () => {
  assert.equal(
    stcsOf('polygon', [303.622987, -45.02827, 305.0073, -45.2137, 0.000001, 89.999999]),
    'POLYGON ICRS 303.622987 -45.02827 305.0073 -45.2137 0.000001 89.999999',
  );
  assert.equal(stcsOf('circle', [83.63, 22.01, 3]), 'CIRCLE ICRS 83.63 22.01 3');
});

test('stcsOf equals the joined String() of its numbers, for every shape and length', () => {
  const next = random(29);
  const shapes = ['point', 'circle', 'polygon'] as const;
  const prefixes = { point: 'POSITION', circle: 'CIRCLE', polygon: 'POLYGON' };
  const edges = [0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7, -0.5, 999999999.999999, 2 ** 53];
  assert.equal(stcsOf('polygon', []), 'POLYGON ICRS ');
  assert.equal(stcsOf(undefined, [1, 2]), 'POLYGON ICRS 1 2');
  for (let i = 0; i < 20_000; i++) {
    const shape = shapes[i % 3]!;
    // 4000 numbers once in a while: longer than the first scratch buffer holds.
    const count = i % 997 === 0 ? 4000 : Math.floor(next() * 40);
    const values: number[] = [];
    for (let j = 0; j < count; j++) {
      const pick = next();
      if (pick < 0.05) values.push(edges[Math.floor(next() * edges.length)]!);
      else if (pick < 0.7) values.push(Math.round((next() * 720 - 360) * 1e6) / 1e6);
      else values.push((next() - 0.5) * 10 ** (next() * 40 - 20));
    }
    const expected = `${prefixes[shape]} ICRS ${values.map((v) => String(v)).join(' ')}`;
    assert.equal(stcsOf(shape, values), expected);
    assert.equal(stcsOf(shape, Float64Array.from(values)), expected);
  }
});
