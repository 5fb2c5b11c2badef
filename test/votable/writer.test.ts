import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatDouble,
  formatFloat,
  formatTimestamp,
  readVotable,
  votableError,
  VotableError,
  writeChunksTo,
  writeVotable,
  type FieldDescription,
  type Row,
} from '../../src/votable/index.js';
import type { Cursor } from '../../src/engine/types.js';
import type { ColumnDef } from '../../src/schema/types.js';
import { ALL_FIELDS, ALL_ROWS, batches, collect, ICRS, SERIALIZATIONS } from './fixtures.js';

async function written(
  fields: readonly FieldDescription[],
  rows: readonly Row[],
  options: Parameters<typeof writeVotable>[2] = {},
): Promise<string> {
  return (await collect(writeVotable(fields, [rows], options))).bytes.toString('utf8');
}

describe('VOTable document structure', () => {
  it('opens RESOURCE type="results" with QUERY_STATUS OK, echoes the query and places COOSYS before TABLE', async () => {
    const xml = await written(ALL_FIELDS, ALL_ROWS, {
      ...ICRS,
      query: 'SELECT *\nFROM ivoa.obscore WHERE a < 1 & b > "2"',
      infos: [{ name: 'standardID', value: 'ivo://ivoa.net/std/TAP' }],
      serialization: 'TABLEDATA',
    });
    assert.match(
      xml,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<VOTABLE version="1.5" xmlns="http:\/\/www.ivoa.net\/xml\/VOTable\/v1.3"/,
    );
    const order = [
      '<RESOURCE type="results">',
      '<INFO name="QUERY_STATUS" value="OK"/>',
      '<INFO name="QUERY"',
      '<INFO name="standardID"',
      '<COOSYS ID="icrs" system="ICRS"/>',
      '<TABLE name="result">',
      '<FIELD',
      '<DATA><TABLEDATA>',
      '</TABLE>',
      '</RESOURCE>',
      '</VOTABLE>',
    ];
    let at = -1;
    for (const piece of order) {
      const next = xml.indexOf(piece, at + 1);
      assert.ok(next > at, `${piece} comes after the previous piece`);
      at = next;
    }
    assert.ok(
      xml.includes(
        'value="SELECT *&#10;FROM ivoa.obscore WHERE a &lt; 1 &amp; b &gt; &quot;2&quot;"',
      ),
    );
    assert.ok(
      xml.includes(
        '<FIELD name="ra" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main" ref="icrs"/>',
      ),
    );
    assert.ok(xml.includes('<DESCRIPTION>with &lt;markup&gt; &amp; "quotes"</DESCRIPTION>'));
    assert.ok(!xml.includes('QUERY_STATUS" value="OVERFLOW'));
  });

  for (const serialization of SERIALIZATIONS) {
    it(`puts the OVERFLOW INFO after the TABLE (${serialization})`, async () => {
      const xml = await written(ALL_FIELDS, ALL_ROWS, { ...ICRS, serialization, overflow: true });
      const table = xml.indexOf('</TABLE>');
      const overflow = xml.indexOf('<INFO name="QUERY_STATUS" value="OVERFLOW"/>');
      assert.ok(table > 0 && overflow > table && overflow < xml.indexOf('</RESOURCE>'));
      assert.deepEqual(
        readVotable(xml).infos.map((i) => [i.name, i.value]),
        [
          ['QUERY_STATUS', 'OK'],
          ['QUERY_STATUS', 'OVERFLOW'],
        ],
      );
    });
  }

  it('asks an overflow function only after the last row', async () => {
    let rowsSeen = 0;
    async function* rows(): AsyncGenerator<Row[]> {
      for (let i = 0; i < 3; i++) {
        rowsSeen++;
        yield [[i]];
      }
    }
    const { bytes, result } = await collect(
      writeVotable([{ name: 'i', datatype: 'int' }], rows(), { overflow: () => rowsSeen === 3 }),
    );
    assert.equal(result.overflow, true);
    assert.equal(result.rows, 3);
    assert.ok(bytes.toString().includes('value="OVERFLOW"'));
  });

  it('writes MAXREC=0 results: metadata, no rows, overflow', async () => {
    for (const serialization of SERIALIZATIONS) {
      const xml = await written([{ name: 'a', datatype: 'int' }], [], {
        serialization,
        overflow: true,
      });
      const table = readVotable(xml);
      assert.equal(table.rows.length, 0);
      assert.equal(table.fields[0]?.name, 'a');
      assert.equal(table.infos.at(-1)?.value, 'OVERFLOW');
    }
  });

  it('refuses unusable metadata before writing anything', async () => {
    const cases: [FieldDescription[], RegExp][] = [
      [[], /at least one field/],
      [[{ name: 'a', datatype: 'int', arraysize: '0' }], /field 'a': arraysize '0' is not valid/],
      [[{ name: 'a', datatype: 'real' as 'double' }], /field 'a': unknown datatype 'real'/],
      [[{ name: 'a', datatype: 'int', id: '1a' }], /ID '1a' is not an XML identifier/],
      [[{ name: 'a', datatype: 'int', ref: 'nowhere' }], /ref 'nowhere' names no COOSYS/],
      [[{ name: 'a', datatype: 'char', arraysize: '10x*' }], /arrays of strings/],
    ];
    for (const [fields, message] of cases) {
      await assert.rejects(
        collect(writeVotable(fields, [])),
        (e: unknown) => e instanceof VotableError && message.test(e.message),
      );
    }
  });
});

describe('cell values', () => {
  it('writes empty TDs for nulls and escapes text', async () => {
    const xml = await written(
      [
        { name: 's', datatype: 'char', arraysize: '*' },
        { name: 'u', datatype: 'unicodeChar', arraysize: '*' },
        { name: 'd', datatype: 'double' },
      ],
      [
        ['a<b&c>"d"\r\n', 'ü\u0000x\uD800', NaN],
        [null, undefined, null],
      ],
      { serialization: 'TABLEDATA' },
    );
    assert.ok(
      xml.includes(
        '<TR><TD>a&lt;b&amp;c&gt;"d"&#13;\n</TD><TD>ü\uFFFDx\uFFFD</TD><TD>NaN</TD></TR>',
      ),
    );
    assert.ok(xml.includes('<TR><TD/><TD/><TD/></TR>'));
  });

  it('replaces what char cannot hold by ? and keeps the same text in both serialisations', async () => {
    const fields: FieldDescription[] = [{ name: 's', datatype: 'char', arraysize: '*' }];
    for (const serialization of SERIALIZATIONS) {
      const table = readVotable(await written(fields, [['Zürich \u0007 🐎']], { serialization }));
      assert.equal(table.rows[0]?.[0], 'Z?rich ? ?');
    }
  });

  it('names the row and field of a bad value and ends the document with QUERY_STATUS=ERROR', async () => {
    const fields: FieldDescription[] = [
      { name: 'id', datatype: 'int' },
      { name: 'pos', datatype: 'double', arraysize: '2', xtype: 'point' },
    ];
    const rows: Row[] = [
      [1, [1, 2]],
      [2, [1, 2]],
      [3, [1, 2, 3]],
      [4, [1, 2]],
    ];
    for (const serialization of SERIALIZATIONS) {
      const errors: unknown[] = [];
      const { bytes, result } = await collect(
        writeVotable(fields, batches(rows, 1), {
          serialization,
          overflow: true,
          onError: (e) => errors.push(e),
        }),
      );
      assert.equal(result.rows, 2);
      assert.ok(result.error instanceof VotableError);
      assert.equal(errors.length, 1);
      const message = "row 3, field 'pos': array has 3 elements, arraysize 2 needs 2";
      assert.equal((result.error as Error).message, message);
      const table = readVotable(bytes);
      assert.deepEqual(
        table.rows.map((r) => r[0]),
        [1, 2],
      );
      assert.deepEqual(table.infos.at(-1), {
        name: 'QUERY_STATUS',
        value: 'ERROR',
        content: message,
      });
      assert.ok(!bytes.toString().includes('OVERFLOW'), 'an error replaces the overflow report');
    }
  });

  it('keeps the rows before a bad cell of a column batch, and names it', async () => {
    const fields: FieldDescription[] = [
      { name: 'id', datatype: 'int' },
      { name: 'name', datatype: 'char', arraysize: '*' },
      { name: 'x', datatype: 'double' },
    ];
    const batch = {
      rowCount: 4,
      columns: [
        [1, 2, 3, 4],
        ['a', 'b', null, 'd'],
        [0.5, 1.5, 2.5, 'three'],
      ],
    };
    for (const serialization of SERIALIZATIONS) {
      const { bytes, result } = await collect(writeVotable(fields, [batch], { serialization }));
      assert.equal(result.rows, 3);
      const message = "row 4, field 'x': expected a number for datatype double, got string 'three'";
      assert.equal((result.error as Error).message, message);
      assert.deepEqual(readVotable(bytes).rows, [
        [1, 'a', 0.5],
        [2, 'b', 1.5],
        [3, null, 2.5],
      ]);
    }
  });

  it('reports a failing row source the same way', async () => {
    async function* rows(): AsyncGenerator<Row[]> {
      yield [[1]];
      throw new Error('database connection lost');
    }
    const { bytes, result } = await collect(writeVotable([{ name: 'i', datatype: 'int' }], rows()));
    assert.equal(result.rows, 1);
    assert.deepEqual(readVotable(bytes).infos.at(-1)?.content, 'database connection lost');
  });

  it('explains type and range mistakes', async () => {
    const cases: [FieldDescription, unknown, RegExp][] = [
      [
        { name: 'n', datatype: 'int' },
        'x',
        /row 1, field 'n': expected an integer for datatype int, got string 'x'/,
      ],
      [{ name: 'n', datatype: 'short' }, 40000, /40000 is outside the range of datatype short/],
      [{ name: 'n', datatype: 'unsignedByte' }, -1, /outside the range of datatype unsignedByte/],
      [{ name: 'n', datatype: 'int' }, 1.5, /expected an integer/],
      [{ name: 'n', datatype: 'long' }, 2n ** 64n, /outside the range of datatype long/],
      [{ name: 'd', datatype: 'double' }, 'NaN', /expected a number for datatype double/],
      [{ name: 'b', datatype: 'boolean' }, 1, /expected a boolean/],
      [
        { name: 's', datatype: 'char', arraysize: '4' },
        'abcde',
        /string of 5 characters exceeds arraysize 4/,
      ],
      [{ name: 's', datatype: 'char' }, 'ab', /exceeds arraysize 1 \(scalar char\)/],
      [
        { name: 'p', datatype: 'double', arraysize: '*', xtype: 'polygon' },
        [1, 2, 3, 4],
        /polygon needs an even number of at least 6 values/,
      ],
      [
        { name: 'g', datatype: 'float', arraysize: '2x2' },
        [1, 2, 3],
        /array has 3 elements, arraysize 2x2 needs 4/,
      ],
      [{ name: 'v', datatype: 'int', arraysize: '2*' }, [1, 2, 3], /more than arraysize 2\*/],
      [
        { name: 't', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
        new Date(NaN),
        /invalid Date/,
      ],
      [{ name: 'a', datatype: 'double', arraysize: '*' }, 5, /expected an array \(arraysize \*\)/],
    ];
    for (const [field, value, message] of cases) {
      for (const serialization of SERIALIZATIONS) {
        const { result } = await collect(
          writeVotable([field], [[[value as null]]], { serialization }),
        );
        assert.match(
          String((result.error as Error | undefined)?.message),
          message,
          `${field.name} ${serialization}`,
        );
      }
    }
  });

  it('refuses rows of the wrong length', async () => {
    const { result } = await collect(writeVotable([{ name: 'a', datatype: 'int' }], [[[1, 2]]]));
    assert.equal((result.error as Error).message, 'row 1: row has 2 cells, the table has 1 fields');
  });

  it('writes the BINARY2 null flags and fillers of the standard', async () => {
    const fields: FieldDescription[] = Array.from({ length: 9 }, (_, i) => ({
      name: `c${i}`,
      datatype: 'short',
    }));
    fields[8] = { name: 'v', datatype: 'double', arraysize: '*' };
    fields[7] = { name: 'f', datatype: 'float' };
    const row: Row = [1, null, 3, 4, 5, 6, 7, null, null];
    const xml = await written(fields, [row]);
    const base64 = /<STREAM encoding="base64">\n([^<]*)<\/STREAM>/.exec(xml)?.[1] ?? '';
    const bytes = Buffer.from(base64, 'base64');
    assert.equal(bytes.subarray(0, 2).toString('hex'), '4180'); // columns 2, 8 and 9 null
    assert.equal(bytes.readInt16BE(2), 1);
    assert.equal(bytes.readInt16BE(4), 0); // null short: zero bytes
    assert.ok(Number.isNaN(bytes.readFloatBE(2 + 7 * 2))); // null float: NaN
    assert.equal(bytes.readInt32BE(2 + 7 * 2 + 4), 0); // null variable array: zero length
    assert.equal(bytes.length, 2 + 7 * 2 + 4 + 4);
  });

  it('hands out chunks of about chunkBytes, so memory does not grow with the table', async () => {
    async function* rows(): AsyncGenerator<Row[]> {
      for (let b = 0; b < 50; b++)
        yield Array.from({ length: 200 }, (_, i): Row => [b * 200 + i, 'row text']);
    }
    const fields: FieldDescription[] = [
      { name: 'i', datatype: 'long' },
      { name: 's', datatype: 'char', arraysize: '*' },
    ];
    for (const serialization of SERIALIZATIONS) {
      let largest = 0;
      let count = 0;
      for await (const chunk of writeVotable(fields, rows(), { serialization, chunkBytes: 4096 })) {
        count++;
        if (count > 1) largest = Math.max(largest, chunk.length);
      }
      assert.ok(count > 20, `${serialization}: ${count} chunks`);
      assert.ok(largest < 4096 * 2, `${serialization}: largest chunk ${largest}`);
    }
  });

  it('closes the row source (an engine cursor) when the consumer stops early', async () => {
    let closed = false;
    async function* cursor(): AsyncGenerator<Row[]> {
      try {
        for (let i = 0; ; i++) yield [[i, 'some text to fill the chunks']];
      } finally {
        closed = true;
      }
    }
    const fields: FieldDescription[] = [
      { name: 'i', datatype: 'int' },
      { name: 's', datatype: 'char', arraysize: '*' },
    ];
    let bytes = 0;
    for await (const chunk of writeVotable(fields, cursor(), { chunkBytes: 256 })) {
      bytes += chunk.length;
      if (bytes > 1000) break;
    }
    assert.ok(closed);
  });

  it('takes catalog ColumnDefs and engine cursors as they are', async () => {
    const columns: readonly ColumnDef[] = [
      {
        name: 's_ra',
        datatype: 'double',
        unit: 'deg',
        description: 'right ascension',
        principal: true,
      },
      {
        name: 's_region',
        datatype: 'double',
        arraysize: '*',
        xtype: 'polygon',
        description: 'footprint',
      },
    ];
    const cursor: Cursor = {
      columnNames: ['s_ra', 's_region'],
      close: async () => undefined,
      async *[Symbol.asyncIterator]() {
        yield [[83.6, [1, 2, 3, 4, 5, 6]] as const];
      },
      async *columnBatches() {
        yield { rowCount: 1, columns: [[83.6], [[1, 2, 3, 4, 5, 6]]] };
      },
    };
    const table = readVotable((await collect(writeVotable(columns, cursor))).bytes);
    assert.deepEqual(table.rows, [[83.6, [1, 2, 3, 4, 5, 6]]]);
    const byColumn = await collect(writeVotable(columns, cursor.columnBatches()));
    assert.deepEqual(readVotable(byColumn.bytes).rows, table.rows);
    assert.equal(table.fields[0]?.description, 'right ascension');
  });

  it('writes to a Node Writable with backpressure', async () => {
    const received: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        setImmediate(done);
      },
    });
    await writeChunksTo(writeVotable(ALL_FIELDS, batches(ALL_ROWS), ICRS), sink);
    assert.equal(readVotable(Buffer.concat(received)).rows.length, ALL_ROWS.length);
  });
});

describe('numbers and timestamps as text', () => {
  it('prints doubles so that they parse back equal', () => {
    fc.assert(
      fc.property(fc.double(), (d) => {
        const text = formatDouble(d);
        const back = text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
        assert.ok(Object.is(back, d), `${d} -> ${text}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('prints float32 values so that they re-round to the same float', () => {
    fc.assert(
      fc.property(fc.float(), (f) => {
        const text = formatFloat(f);
        const back = text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
        assert.ok(Object.is(Math.fround(back), Math.fround(f)), `${f} -> ${text}`);
        const digits = text.replace(/^-|e.*$|\./g, '').replace(/^0+|0+$/g, '');
        assert.ok(digits.length <= 9, `${text} has ${digits.length} significant digits`);
      }),
      { numRuns: 2000 },
    );
    assert.equal(formatFloat(0.1), '0.1');
    assert.equal(formatFloat(3.4028234663852886e38), '3.4028235e+38');
  });

  it('writes DALI timestamps without a zone letter', () => {
    assert.equal(formatTimestamp(new Date(Date.UTC(2020, 0, 2, 3, 4, 5))), '2020-01-02T03:04:05');
    assert.equal(
      formatTimestamp(new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 67))),
      '2020-01-02T03:04:05.067',
    );
  });
});

describe('error documents', () => {
  it('is a results RESOURCE with QUERY_STATUS=ERROR holding the message', () => {
    const xml = votableError('Query syntax error: unexpected "FORM" at line 1 <here>', {
      queryStatus: 'ERROR',
      query: 'SELECT * FORM t',
    });
    assert.ok(
      xml.includes(
        '<RESOURCE type="results">\n<INFO name="QUERY_STATUS" value="ERROR">Query syntax error: unexpected "FORM" at line 1 &lt;here&gt;</INFO>',
      ),
    );
    assert.ok(xml.includes('<INFO name="QUERY" value="SELECT * FORM t"/>'));
    assert.ok(!xml.includes('<TABLE'));
    assert.ok(votableError('').includes('value="ERROR">error</INFO>'));
  });
});
