import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FitsError, Header } from '../../src/fits/index.js';

/** A header block from card images (each padded to 80), END appended. */
function headerBytes(...images: string[]): Uint8Array {
  const text = [...images.map((c) => c.padEnd(80)), 'END'.padEnd(80)].join('');
  const padded = text.padEnd(Math.ceil(text.length / 2880) * 2880);
  return new TextEncoder().encode(padded);
}

test('reads every kind of value', () => {
  const bytes = headerBytes(
    "STR     = 'It''s here'         / a quote inside",
    "EMPTY   = ''",
    "SPACES  = '  lead  '",
    'LOGT    =                    T',
    'LOGF    =                    F / false',
    'INT     =                -1234',
    'BIG     =  9223372036854775808 / 2^63',
    'REAL    =           123890826.',
    'DEXP    =            1.5D-03',
    'EXP     =              -2.5E+10',
    'CPLX    = (1.5, -2.0)',
    'UNDEF   =                      / nothing here',
    "HIERARCH ESO DET CHIP NAME = 'CCD 1' / hierarchical",
    'COMMENT   This is a comment',
    'HISTORY made by hand',
    '        blank keyword text',
    'NOEQUALS this card has no value indicator',
  );
  const { header, byteLength } = Header.parse(bytes);
  assert.equal(byteLength, 2880);
  assert.equal(header.get('STR'), "It's here");
  assert.equal(header.getComment('STR'), 'a quote inside');
  assert.equal(header.get('EMPTY'), '');
  assert.equal(header.getString('SPACES'), '  lead');
  assert.equal(header.getBoolean('LOGT'), true);
  assert.equal(header.getBoolean('logf'), false);
  assert.equal(header.getInteger('INT'), -1234);
  assert.equal(header.get('BIG'), 9223372036854775808n);
  assert.equal(header.getNumber('BIG'), 2 ** 63);
  assert.throws(() => header.getInteger('BIG'), /beyond 2\^53/);
  assert.equal(header.getNumber('REAL'), 123890826);
  assert.equal(header.getNumber('DEXP'), 1.5e-3);
  assert.equal(header.getNumber('EXP'), -2.5e10);
  assert.deepEqual(header.get('CPLX'), { re: 1.5, im: -2 });
  assert.equal(header.get('UNDEF'), null);
  assert.equal(header.getNumber('UNDEF'), undefined);
  assert.equal(header.getString('ESO DET CHIP NAME'), 'CCD 1');
  assert.equal(header.has('eso det chip name'), true);
  const commentary = header.cards.filter((c) => c.value === undefined);
  assert.deepEqual(
    commentary.map((c) => [c.keyword, c.comment]),
    [
      ['COMMENT', '  This is a comment'],
      ['HISTORY', 'made by hand'],
      ['', 'blank keyword text'],
      ['NOEQUALS', ' this card has no value indicator'],
    ],
  );
  assert.equal(header.has('MISSING'), false);
  assert.equal(header.get('MISSING'), undefined);
});

test('typed getters name the card when the value has the wrong type', () => {
  const { header } = Header.parse(headerBytes("OBJECT  = 'Crab'", 'REAL    = 1.5'), {
    file: 'x.fits',
    hdu: '1 (EVENTS)',
  });
  assert.throws(
    () => header.getNumber('OBJECT'),
    (e: unknown) =>
      e instanceof FitsError &&
      e.card === 'OBJECT' &&
      e.file === 'x.fits' &&
      e.hdu === '1 (EVENTS)' &&
      /x\.fits, HDU 1 \(EVENTS\), card 'OBJECT': expected a number, found the string 'Crab'/.test(
        e.message,
      ),
  );
  assert.throws(() => header.getInteger('REAL'), /expected an integer/);
  assert.throws(
    () => header.requireString('TELESCOP'),
    /card 'TELESCOP': the required keyword is missing/,
  );
});

test('merges CONTINUE cards into one long string', () => {
  const { header } = Header.parse(
    headerBytes(
      "LONG    = 'first part, &'      / comment one",
      "CONTINUE  'second part &'",
      "CONTINUE  'and the end' / comment two",
      "AMP     = 'ends with &'",
      'NEXT    =                    1',
    ),
  );
  assert.equal(header.get('LONG'), 'first part, second part and the end');
  assert.equal(header.getComment('LONG'), 'comment one comment two');
  assert.equal(header.get('AMP'), 'ends with &');
  assert.deepEqual(
    header.cards.map((c) => c.keyword),
    ['LONG', 'AMP', 'NEXT'],
  );
});

test('writes and reads back long strings, HIERARCH, all value types', () => {
  const long = "A long value with 'quotes' that goes on ".repeat(6) + 'and ends here';
  const header = new Header([
    { keyword: 'SIMPLE', value: true, comment: 'conforms' },
    { keyword: 'LONGSTR', value: long, comment: 'a long string' },
    { keyword: 'QUOTES', value: "'".repeat(40) },
    { keyword: 'HIERARCH.KEY.LONG', value: 3.25 },
    { keyword: 'lower case key', value: 'x' },
    { keyword: 'BIG', value: -9223372036854775808n },
    { keyword: 'HUGE', value: 1e300 },
    { keyword: 'ROUND', value: 1e21 },
    { keyword: 'TINY', value: 5e-324 },
    { keyword: 'FRAC', value: 0.1 },
    { keyword: 'CPLX', value: { re: 1, im: -0.5 } },
    { keyword: 'UNDEF', value: null, comment: 'undefined value' },
  ]);
  header.set('extname', 'EVENTS', 'name');
  header.addComment('x'.repeat(100));
  header.addHistory('history line');
  const bytes = header.toBytes();
  assert.equal(bytes.length % 2880, 0);
  const text = new TextDecoder().decode(bytes);
  assert.match(text, /^SIMPLE {2}= {20}T \/ conforms/);
  assert.match(text, /CONTINUE {2}'/);
  assert.match(text, /HIERARCH HIERARCH.KEY.LONG = 3.25/);
  assert.match(text, /EXTNAME = 'EVENTS {2}' {11}\/ name/);
  const back = Header.parse(bytes).header;
  assert.equal(back.get('LONGSTR'), long);
  assert.equal(back.getComment('LONGSTR'), 'a long string');
  assert.equal(back.get('QUOTES'), "'".repeat(40));
  assert.equal(back.get('HIERARCH.KEY.LONG'), 3.25);
  assert.equal(back.get('LOWER CASE KEY'), 'x');
  assert.equal(back.get('BIG'), -9223372036854775808n);
  assert.equal(back.get('HUGE'), 1e300);
  assert.equal(back.get('ROUND'), 1e21);
  assert.equal(back.get('TINY'), 5e-324);
  assert.equal(back.get('FRAC'), 0.1);
  assert.deepEqual(back.get('CPLX'), { re: 1, im: -0.5 });
  assert.equal(back.get('UNDEF'), null);
  assert.equal(back.getString('EXTNAME'), 'EVENTS');
  const comments = back.cards.filter((c) => c.keyword === 'COMMENT').map((c) => c.comment);
  assert.deepEqual(comments, ['x'.repeat(72), 'x'.repeat(28)]);
  // Unchanged cards read from a file are written back byte for byte.
  assert.deepEqual(back.toBytes(), bytes);
});

test('set replaces, delete removes, clone is independent', () => {
  const header = new Header([{ keyword: 'NAXIS2', value: 10, comment: 'rows' }]);
  const copy = header.clone();
  header.set('NAXIS2', 20);
  assert.equal(header.get('NAXIS2'), 20);
  assert.equal(header.getComment('NAXIS2'), 'rows');
  assert.equal(copy.get('NAXIS2'), 10);
  header.delete('naxis2');
  assert.equal(header.has('NAXIS2'), false);
  assert.throws(() => header.set('BAD', Number.NaN), /NaN cannot be written/);
  assert.throws(() => header.set('BAD', 'é'), /printable ASCII/);
  assert.throws(() => header.set('COMMENT', 'x'), /COMMENT cards carry text, not a value/);
  assert.throws(() => header.set('END', 1), /END cannot be written/);
});

test('bad headers fail with the card and the problem', () => {
  assert.throws(
    () => Header.parse(new TextEncoder().encode('SIMPLE  =                    T'.padEnd(2880))),
    /header has no END card in its 36 cards/,
  );
  assert.throws(() => Header.parse(new Uint8Array(100).fill(0x20)), /header is cut short/);
  assert.throws(
    () => Header.parse(headerBytes("OBJECT  = 'unclosed")),
    (e: unknown) =>
      e instanceof FitsError && e.card === 'OBJECT' && /no closing quote/.test(e.message),
  );
  assert.throws(
    () => Header.parse(headerBytes('NAXIS   = 12abc')),
    /card 'NAXIS': cannot read the value '12abc'/,
  );
  const binary = headerBytes('SIMPLE  =                    T');
  binary[85] = 0;
  assert.throws(
    () => Header.parse(binary),
    /card #2: byte 0x00 at column 6 is not printable ASCII/,
  );
});
