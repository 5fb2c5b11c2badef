/**
 * pg_sphere's text (degrees, 'd' suffix) read as DALI numbers: the fast path for plain
 * decimals gives exactly what Number() gives on each number, for what pg_sphere prints
 * and for anything else a run of number characters may hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daliFromSphere } from '../../src/engine/postgres.js';
import { random } from '../helpers/random.js';

/** The reading every number through Number(), as it was before the fast path. */
function reference(text: string): number[] {
  const numbers: number[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101) {
      if (start < 0) start = i;
    } else {
      if (c === 100 && start >= 0) numbers.push(Number(text.slice(start, i)));
      start = -1;
    }
  }
  return numbers;
}

test('daliFromSphere reads what pg_sphere prints as Number() would', () => {
  assert.deepEqual(daliFromSphere('(10.5d , -20.25d)'), [10.5, -20.25]);
  assert.deepEqual(daliFromSphere('<(83.6331d , 22.0145d) , 0.5d>'), [83.6331, 22.0145, 0.5]);
  assert.deepEqual(
    daliFromSphere('{(228.6125d , -56.222689d),(230.37506d , -56.403995d)}'),
    [228.6125, -56.222689, 230.37506, -56.403995],
  );
  assert.ok(Object.is(daliFromSphere('(-0d , 0d)')[0], -0));
  const next = random(41);
  for (let k = 0; k < 20_000; k++) {
    const points: string[] = [];
    for (let j = 0; j < 1 + Math.floor(next() * 8); j++) {
      const value = (next() * 720 - 360) * 10 ** Math.floor(next() * 6 - 3);
      const digits = 1 + Math.floor(next() * 17);
      const a = Number(value.toPrecision(digits));
      const b = Number((next() * 180 - 90).toPrecision(1 + Math.floor(next() * 16)));
      points.push(`(${String(a)}d , ${String(b)}d)`);
    }
    const text = `{${points.join(',')}}`;
    assert.deepEqual(daliFromSphere(text), reference(text), text);
  }
});

test('daliFromSphere reads odd runs of number characters as Number() does', () => {
  const alphabet = '0123456789.+-e d(),{}<>x';
  const next = random(43);
  const odd = [
    '1e5d',
    '-1.5e-7d',
    '5.d',
    '.5d',
    '+5d',
    '.d',
    '-d',
    'e5d',
    '5-3d',
    '1.2.3d',
    '12d5d',
  ];
  for (const text of odd) assert.deepEqual(daliFromSphere(text), reference(text), text);
  assert.deepEqual(daliFromSphere('1234567890123456d'), [1234567890123456]);
  assert.deepEqual(daliFromSphere('0.1234567890123456789d'), [Number('0.1234567890123456789')]);
  for (let k = 0; k < 50_000; k++) {
    let text = '';
    for (let j = 0; j < Math.floor(next() * 24); j++) {
      text += alphabet[Math.floor(next() * alphabet.length)];
    }
    assert.deepEqual(daliFromSphere(text), reference(text), JSON.stringify(text));
  }
});
