/** TAP results as FITS binary tables (RESPONSEFORMAT=fits), read back by astropy. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveStore, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { requireAstropy } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';

interface FitsSummary {
  readonly rows: number;
  readonly status: string;
  readonly names: string[];
  readonly kinds: Record<string, string>;
  readonly units: Record<string, string>;
  readonly first: Record<string, unknown>;
  readonly masked: Record<string, boolean>;
}

/** Runs the query (sync, or async with a second argument) and describes the FITS table. */
const READ_FITS = `import sys, json, io, urllib.request, urllib.parse
from astropy.io import fits
from astropy.table import Table
params = {'LANG': 'ADQL', 'RESPONSEFORMAT': 'fits', 'QUERY': sys.argv[2], 'MAXREC': sys.argv[3]}
data = urllib.parse.urlencode(params).encode()
raw = urllib.request.urlopen(sys.argv[1] + '/tap/sync', data)
assert raw.headers['Content-Type'].startswith('application/fits'), raw.headers['Content-Type']
hdus = fits.open(io.BytesIO(raw.read()), checksum=True)
t = Table.read(hdus[1])
def plain(v):
    if hasattr(v, 'tolist'): v = v.tolist()
    return v if not isinstance(v, bytes) else v.decode()
first = {c: plain(t[c][0]) for c in t.colnames} if len(t) else {}
print(json.dumps(dict(rows=len(t), status=hdus[1].header['QRYSTAT'], names=t.colnames,
  kinds={c: t[c].dtype.kind + str(t[c].dtype.itemsize) for c in t.colnames},
  units={c: str(t[c].unit) for c in t.colnames if t[c].unit is not None},
  first={k: (None if v != v else v) if isinstance(v, float) else v for k, v in first.items()},
  masked={c: bool(getattr(t[c], 'mask', [False])[0]) if len(t) else False for c in t.colnames})))`;

test('TAP results as FITS', async (suite) => {
  if (!requireAstropy(suite)) return;
  const { dir } = await simulatedStore(suite);
  const served = await serveStore(suite, dir, SIM_COLLECTION);
  const read = (query: string, maxrec = 1000): Promise<FitsSummary> =>
    runPythonJsonAsync<FitsSummary>(READ_FITS, [served.address, query, String(maxrec)]);

  await suite.test('ObsCore columns keep their types and units', async () => {
    const got = await read(
      'SELECT obs_id, s_ra, t_min, calib_level, s_region, obs_release_date, em_min, s_fov FROM ivoa.obscore ORDER BY obs_id',
    );
    assert.equal(got.rows, 2);
    assert.equal(got.status, 'OK');
    assert.deepEqual(got.names, [
      'obs_id',
      's_ra',
      't_min',
      'calib_level',
      's_region',
      'obs_release_date',
      'em_min',
      's_fov',
    ]);
    assert.equal(got.kinds.s_ra, 'f8');
    assert.equal(got.kinds.calib_level, 'i2');
    assert.match(got.kinds.obs_id ?? '', /^[SU]/);
    assert.equal(got.units.s_ra, 'deg');
    assert.equal(got.units.t_min, 'd');
    assert.equal(got.units.em_min, 'm');
    assert.match(String(got.first.s_region), /^POLYGON ICRS /);
    assert.match(String(got.first.obs_release_date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
  });

  await suite.test(
    'a result cut at MAXREC says OVERFLOW; an empty one is a valid table',
    async () => {
      const cut = await read('SELECT obs_id FROM ivoa.obscore', 1);
      assert.equal(cut.rows, 1);
      assert.equal(cut.status, 'OVERFLOW');
      const empty = await read("SELECT obs_id, s_ra FROM ivoa.obscore WHERE obs_id = 'none'");
      assert.equal(empty.rows, 0);
      assert.deepEqual(empty.names, ['obs_id', 's_ra']);
    },
  );

  await suite.test('nulls: integer TNULL, NaN, logical and text', async () => {
    const got = await read(
      'SELECT CAST(NULL AS INTEGER) AS i, CAST(NULL AS SMALLINT) AS s, CAST(NULL AS BIGINT) AS k, CAST(NULL AS DOUBLE PRECISION) AS d, obs_id FROM ivoa.obscore',
      1,
    );
    assert.equal(got.masked.i, true);
    assert.equal(got.masked.s, true);
    assert.equal(got.masked.k, true);
    assert.equal(got.first.d, null);
    assert.equal(got.kinds.k, 'i8');
  });
});
