import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  readVotable,
  readVotableStream,
  VotableError,
  writeVotable,
  type CellValue,
  type FieldDescription,
  type Row,
  type VotableSerialization,
} from '../../src/votable/index.js';
import { ALL_FIELDS, ALL_ROWS, batches, collect, ICRS, SERIALIZATIONS } from './fixtures.js';
import { normalizeRow } from './normalize.js';

async function roundTrip(
  fields: readonly FieldDescription[],
  rows: readonly Row[],
  serialization: VotableSerialization,
): Promise<ReturnType<typeof readVotable>> {
  const { bytes, result } = await collect(
    writeVotable(fields, batches(rows), { ...ICRS, serialization }),
  );
  assert.equal(result.error, undefined);
  return readVotable(bytes);
}

function votable(table: string, head = ''): string {
  return `<?xml version="1.0"?>${head}<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE type="results"><TABLE>${table}</TABLE></RESOURCE></VOTABLE>`;
}

function rejects(document: string | Uint8Array, message: RegExp, limits = {}): void {
  assert.throws(
    () => readVotable(document, limits),
    (e: unknown) => e instanceof VotableError && message.test(e.message),
  );
}

describe('writer to reader round trips', () => {
  for (const serialization of SERIALIZATIONS) {
    it(`keeps every datatype, array and null (${serialization})`, async () => {
      const table = await roundTrip(ALL_FIELDS, ALL_ROWS, serialization);
      assert.equal(table.serialization, serialization);
      assert.equal(table.name, 'result');
      assert.deepEqual(
        table.fields.map((f) => [f.name, f.datatype, f.arraysize, f.xtype, f.unit, f.ucd, f.ref]),
        ALL_FIELDS.map((f) => [f.name, f.datatype, f.arraysize, f.xtype, f.unit, f.ucd, f.ref]),
      );
      assert.equal(table.fields[7]?.description, 'with <markup> & "quotes"');
      assert.equal(table.rows.length, ALL_ROWS.length);
      table.rows.forEach((row, i) => {
        assert.deepEqual(
          normalizeRow(ALL_FIELDS, row),
          normalizeRow(ALL_FIELDS, ALL_ROWS[i] ?? []),
          `row ${i + 1}`,
        );
      });
    });
  }

  it('distinguishes empty from null in BINARY2 and reads types as the writer takes them', async () => {
    const fields: FieldDescription[] = [
      { name: 's', datatype: 'char', arraysize: '*' },
      { name: 'a', datatype: 'double', arraysize: '*' },
      { name: 'l', datatype: 'long' },
      { name: 'i', datatype: 'short', arraysize: '2' },
    ];
    const table = await roundTrip(
      fields,
      [
        ['', [], 5n, [1, 2]],
        [null, null, null, null],
      ],
      'BINARY2',
    );
    assert.deepEqual(table.rows, [
      ['', [], 5n, [1, 2]],
      [null, null, null, null],
    ]);
  });

  it('keeps bits, scalar chars and complex values', async () => {
    const fields: FieldDescription[] = [
      { name: 'b', datatype: 'bit' },
      { name: 'bits', datatype: 'bit', arraysize: '*' },
      { name: 'fixed', datatype: 'bit', arraysize: '10' },
      { name: 'c', datatype: 'char' },
      { name: 'u', datatype: 'unicodeChar' },
      { name: 'z', datatype: 'floatComplex', arraysize: '2' },
    ];
    const bits = [true, false, true, true, false, false, false, false, true];
    const ten = [true, true, false, false, true, false, true, false, true, true];
    const row: Row = [true, bits, ten, 'x', 'ß', [1, 2, 3, 4]];
    for (const serialization of SERIALIZATIONS) {
      const table = await roundTrip(
        fields,
        [row, [false, [], ten, 'y', 'z', [0, 0, 0, 0]]],
        serialization,
      );
      assert.deepEqual(table.rows[0], row, serialization);
    }
  });

  it('keeps variable multidimensional and complex arrays in TABLEDATA, refuses them in BINARY2', async () => {
    const fields: FieldDescription[] = [
      { name: 'grid', datatype: 'double', arraysize: '2x*' },
      { name: 'zs', datatype: 'doubleComplex', arraysize: '*' },
    ];
    const row: Row = [
      [1, 2, 3, 4, 5, 6],
      [1, -1, 2, -2],
    ];
    const table = await roundTrip(fields, [row], 'TABLEDATA');
    assert.deepEqual(table.rows, [row]);
    for (const field of fields) {
      await assert.rejects(
        collect(writeVotable([field], [[row]], { serialization: 'BINARY2' })),
        new RegExp(
          `field '${field.name}': BINARY2 of variable-length .* is read differently by astropy and STIL`,
        ),
      );
    }
  });

  it('round-trips random tables in both serialisations', async () => {
    const fields: FieldDescription[] = [
      { name: 'i', datatype: 'int' },
      { name: 'l', datatype: 'long' },
      { name: 'f', datatype: 'float' },
      { name: 'd', datatype: 'double' },
      { name: 's', datatype: 'unicodeChar', arraysize: '*' },
      { name: 'v', datatype: 'double', arraysize: '*' },
      { name: 'b', datatype: 'boolean' },
    ];
    const cell = fc.option;
    const row = fc.tuple(
      cell(fc.integer()),
      cell(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
      cell(fc.float()),
      cell(fc.double()),
      cell(fc.string({ unit: 'grapheme' })),
      cell(fc.array(fc.double(), { maxLength: 5 })),
      cell(fc.boolean()),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 20 }), async (rows) => {
        for (const serialization of SERIALIZATIONS) {
          const table = await roundTrip(fields, rows as Row[], serialization);
          assert.deepEqual(
            table.rows.map((r) => normalizeRow(fields, r)),
            rows.map((r) => normalizeRow(fields, r as CellValue[])),
          );
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('reading uploads written by others', () => {
  it('reads BINARY, honours VALUES null, 0x integers, true/false and whitespace in numbers', () => {
    const fields =
      '<FIELD name="id" datatype="int"><VALUES null="-1"/></FIELD><FIELD name="mag" datatype="float"/>' +
      '<FIELD name="ok" datatype="boolean"/><FIELD name="flags" datatype="short" arraysize="2"/>';
    const bytes = Buffer.alloc(2 * (4 + 4 + 1 + 4));
    let o = 0;
    for (const [id, mag, ok] of [
      [7, 1.5, 0x54],
      [-1, NaN, 0x3f],
    ] as const) {
      o = bytes.writeInt32BE(id, o);
      o = bytes.writeFloatBE(mag, o);
      o = bytes.writeUInt8(ok, o);
      o = bytes.writeInt16BE(1, o);
      o = bytes.writeInt16BE(-1, o);
    }
    const binary = readVotable(
      votable(
        `${fields}<DATA><BINARY><STREAM encoding="base64">\n${bytes.toString('base64')}\n</STREAM></BINARY></DATA>`,
      ),
    );
    assert.equal(binary.serialization, 'BINARY');
    assert.deepEqual(binary.rows, [
      [7, 1.5, true, [1, -1]],
      [null, NaN, null, [1, -1]],
    ]);
    const text = readVotable(
      votable(
        `${fields}<DATA><TABLEDATA><TR><TD> 0x7 </TD><TD>+1.5E0</TD><TD>TRUE</TD><TD>1\n 0xFFFF</TD></TR>` +
          '<TR><TD>-1</TD><TD>nan</TD><TD>?</TD><TD>1 -1</TD></TR></TABLEDATA></DATA>',
      ),
    );
    assert.deepEqual(text.rows, binary.rows);
  });

  it('reads a namespace prefix, CDATA, comments, character references and Latin-1', () => {
    const doc =
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- c --><v:VOTABLE xmlns:v="http://www.ivoa.net/xml/VOTable/v1.3"><v:RESOURCE>' +
      '<v:INFO name="QUERY_STATUS" value="OK">fine</v:INFO><v:TABLE name="t"><v:FIELD name="s" datatype="char" arraysize="*"/>' +
      '<v:DATA><v:TABLEDATA><v:TR><v:TD><![CDATA[a<b]]>&#x26;&#233;\xe9</v:TD></v:TR></v:TABLEDATA></v:DATA></v:TABLE></v:RESOURCE></v:VOTABLE>';
    const table = readVotable(Buffer.from(doc, 'latin1'));
    assert.deepEqual(table.rows, [['a<b&éé']]);
    assert.deepEqual(table.infos, [{ name: 'QUERY_STATUS', value: 'OK', content: 'fine' }]);
    assert.equal(table.name, 't');
  });

  it('reads from a stream and stops at the size limit', async () => {
    const doc = votable(
      '<FIELD name="a" datatype="int"/><DATA><TABLEDATA><TR><TD>1</TD></TR></TABLEDATA></DATA>',
    );
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < doc.length; i += 10) yield Buffer.from(doc.slice(i, i + 10));
    }
    assert.deepEqual((await readVotableStream(chunks())).rows, [[1]]);
    await assert.rejects(
      readVotableStream(chunks(), { maxBytes: 50 }),
      /larger than the limit of 50 bytes/,
    );
  });
});

describe('refusing bad uploads with clear messages', () => {
  const field = '<FIELD name="ra" datatype="double"/><FIELD name="n" datatype="int"/>';
  const data = (rows: string) => votable(`${field}<DATA><TABLEDATA>${rows}</TABLEDATA></DATA>`);

  it('names the row and column of a bad value', () => {
    rejects(
      data('<TR><TD>1</TD><TD>2</TD></TR>\n<TR><TD>abc</TD><TD>2</TD></TR>'),
      /^line 2, row 2, field 'ra': bad value string 'abc' for datatype double$/,
    );
    rejects(
      data('<TR><TD>1</TD><TD>2.5</TD></TR>'),
      /row 1, field 'n': bad value string '2.5' for datatype int/,
    );
    rejects(
      data('<TR><TD>1</TD><TD>3000000000</TD></TR>'),
      /row 1, field 'n': 3000000000 is outside the range of datatype int/,
    );
  });

  it('counts TDs', () => {
    rejects(data('<TR><TD>1</TD></TR>'), /row 1: row has 1 TD elements, the table has 2 FIELDs/);
    rejects(data('<TR><TD>1</TD><TD>2</TD><TD>3</TD></TR>'), /row 1: row has 3 TD elements/);
  });

  it('refuses malformed XML', () => {
    rejects(data('<TR><TD>1</TD><TD>2</TR>'), /malformed XML: <\/TR> closes <TD>/);
    rejects('<VOTABLE><RESOURCE>', /malformed XML: document ends inside <RESOURCE>/);
    rejects('<VOTABLE a="1" a="2"/>', /attribute a repeated/);
    rejects('<VOTABLE a=1/>', /attribute a value is not quoted/);
    rejects('<VOTABLE>&bogus;</VOTABLE>', /undefined entity '&bogus;'/);
    rejects('<VOTABLE>a & b</VOTABLE>', /'&' that starts no reference/);
    rejects('<VOTABLE/><VOTABLE/>', /a second root element/);
    rejects('', /no root element/);
    rejects(Buffer.from([0x3c, 0x61, 0xff, 0x3e]), /not valid UTF-8/);
    rejects(
      Buffer.from('<?xml version="1.0" encoding="EBCDIC"?><a/>'),
      /unsupported document encoding 'EBCDIC'/,
    );
  });

  it('refuses DTDs and so any entity declaration', () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]><VOTABLE>&x;</VOTABLE>';
    rejects(xxe, /DOCTYPE and other declarations are not accepted/);
    rejects('<!DOCTYPE VOTABLE SYSTEM "http://us-vo.org/xml/VOTable.dtd"><VOTABLE/>', /DOCTYPE/);
  });

  it('refuses what it will not fetch or decode', () => {
    const stream = (attributes: string) =>
      votable(
        `<FIELD name="a" datatype="int"/><DATA><BINARY2><STREAM ${attributes}>AAAA</STREAM></BINARY2></DATA>`,
      );
    rejects(stream('href="http://example.org/data"'), /remote STREAM \(href\) is not accepted/);
    rejects(stream('encoding="gzip"'), /STREAM encoding 'gzip' is not supported/);
    rejects(stream('encoding="base64"').replace('AAAA', 'A*AA'), /not valid base64/);
    rejects(
      votable('<FIELD name="a" datatype="int"/><DATA><FITS><STREAM href="x"/></FITS></DATA>'),
      /FITS serialisation is not supported/,
    );
    rejects('<RESOURCE/>', /not a VOTable: the root element is <RESOURCE>/);
    rejects('<VOTABLE><RESOURCE/></VOTABLE>', /has no TABLE/);
    rejects(votable('<FIELD name="a" datatype="real"/>'), /field 'a': unknown datatype 'real'/);
    rejects(
      votable('<FIELD name="a" datatype="int" arraysize="x"/>'),
      /arraysize 'x' is not valid/,
    );
  });

  it('names the row and field where a binary stream is cut or lies about a length', () => {
    const twoFields =
      '<FIELD name="a" datatype="int"/><FIELD name="v" datatype="double" arraysize="*"/>';
    const stream = (bytes: Buffer) =>
      votable(
        `${twoFields}<DATA><BINARY2><STREAM encoding="base64">${bytes.toString('base64')}</STREAM></BINARY2></DATA>`,
      );
    const row = Buffer.from('00' + '00000001' + '00000001' + '3ff0000000000000', 'hex');
    assert.deepEqual(readVotable(stream(row)).rows, [[1, [1]]]);
    rejects(
      stream(Buffer.concat([row, row.subarray(0, 7)])),
      /row 2, field 'v': the data stream ends inside a cell/,
    );
    const lying = Buffer.from('00' + '00000001' + '7fffffff', 'hex');
    rejects(
      stream(lying),
      /row 1, field 'v': array length 2147483647 runs past the end of the data stream/,
    );
  });

  it('enforces the limits', () => {
    const rows = '<TR><TD>1</TD><TD>2</TD></TR>'.repeat(3);
    rejects(data(rows), /more than 2 rows/, { maxRows: 2 });
    rejects(data(rows), /more than 1 FIELDs/, { maxFields: 1 });
    rejects(data(rows), /more than the limit of 100/, { maxBytes: 100 });
  });
});
