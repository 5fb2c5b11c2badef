/**
 * The analysis services reached through DataLink: each event list's links offer map
 * datasets, spectra and light curves as #proc rows with service descriptors (the
 * observation's pointing, IRF energy range and time as defaults and VALUES), TAP results
 * offer them on their dataset identifiers, and pyvo finds the descriptors and calls the
 * services with them.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { datalinklintProblems } from '../helpers/stilts.js';
import { tempDir } from '../helpers/tmp.js';
import { analysisForm, servedSimulation } from './fixtures.js';

const STANDARD_ID = 'ivo://hearc.local/analysis#mapdataset-1.0';
const SPECTRUM_ID = 'ivo://hearc.local/analysis#spectrum-1.0';
const LIGHTCURVE_ID = 'ivo://hearc.local/analysis#lightcurve-1.0';

const PYVO_SCRIPT = `
import io, json, sys, warnings
warnings.simplefilter("ignore")
from astropy.io import fits
from pyvo.dal import TAPService
from pyvo.dal.adhoc import DatalinkResults, DatalinkQuery

links_url, tap_url, standard, secret, lightcurve = sys.argv[1:6]
out = {}

def standard_of(resource):
    return [str(p.value) for p in resource.params if p.name == "standardID"][0]

def hdus(stream):
    data = stream.read()
    return [h.name for h in fits.open(io.BytesIO(data))]

links = DatalinkResults.from_result_url(links_url)
procs = [r for r in links.iter_procs()
         if standard_of(links.get_adhocservice_by_id(r.service_def)) == standard]
out["procs"] = len(procs)
proc = procs[0]
out["inputs"] = sorted(p.name for p in proc.input_params)
out["from_links"] = hdus(proc.process(ENERGY=[0.5, 20, 4], WIDTH=3, BINSZ=0.1))

tap = TAPService(tap_url)
result = tap.run_sync(
    "SELECT obs_publisher_did, obs_id FROM ivoa.obscore WHERE obs_publisher_did <> '%s'" % secret)
resource = result.get_adhocservice_by_ivoid(standard)
rows = list(result)
query = DatalinkQuery.from_resource(rows, resource, ENERGY=[0.5, 20, 4], WIDTH=3, BINSZ=0.1,
                                    CENTER=[83.6331, 22.0145])
out["ids_sent"] = len(query["ID"])
response = query.execute_stream()
out["from_tap"] = hdus(response)

# The light-curve descriptor on the same rows: one time bin per run.
from astropy.io.votable import parse_single_table
curve = DatalinkQuery.from_resource(
    rows, result.get_adhocservice_by_ivoid(lightcurve), CENTER=[83.6331, 22.0145], RADIUS=0.3,
    ENERGY=[0.5, 20, 4])
table = parse_single_table(io.BytesIO(curve.execute_stream().read())).to_table()
out["lightcurve_bins"] = len(table)
out["lightcurve_columns"] = [c for c in table.colnames if c in ("time_min", "flux", "flux_err")]
print(json.dumps(out))
`;

describe('the analysis service in DataLink and TAP results', () => {
  it('offers a #proc descriptor per event list with its ranges, and one on TAP results', async (t) => {
    const { address, dids, secret } = await servedSimulation(t);
    const links = await (
      await fetch(`${address}/datalink?ID=${encodeURIComponent(dids[0]!)}`)
    ).text();
    const resources = [...links.matchAll(/<RESOURCE ID="([^"]+)"[^>]*>([\s\S]*?)<\/RESOURCE>/g)];
    const analysis = resources.find((r) => r[2]!.includes(STANDARD_ID));
    assert.ok(analysis, links);
    const body = analysis[2]!;
    assert.match(links, new RegExp(`<TD>${analysis[1]}</TD>[\\s\\S]*?<TD>#proc</TD>`));
    assert.ok(body.includes(`value="${address}/analysis/sync"`), body);
    assert.match(body, /<PARAM[^>]*name="ID"[^>]*ref="datalinkID"/);
    // CENTER defaults to the pointing; ENERGY ranges come from the run's IRFs.
    assert.match(body, /<PARAM[^>]*name="CENTER"[^>]*value="[\d.]+ [-\d.]+"/);
    assert.match(
      body,
      /name="ENERGY"[^>]*>[\s\S]*?<MIN value="[\d.e-]+ [\d.e-]+ 1"\/><MAX value="[\d.e+]+ [\d.e+]+ 100"\/>/,
    );
    assert.match(body, /name="PROJ"[\s\S]*?<OPTION value="CAR"\/><OPTION value="TAN"\/>/);
    assert.match(body, /name="FRAME"[\s\S]*?<OPTION value="icrs"\/><OPTION value="galactic"\/>/);
    // Spectra and light curves are offered beside it, at their own sync endpoints.
    const lightCurve = resources.find((r) => r[2]!.includes(LIGHTCURVE_ID))?.[2] ?? '';
    assert.ok(lightCurve.includes(`value="${address}/analysis/lightcurve/sync"`), links);
    assert.match(
      lightCurve,
      /<PARAM[^>]*name="RADIUS"[^>]*value="0.11"[^>]*>[\s\S]*?<MAX value="1"/,
    );
    assert.match(lightCurve, /name="MODEL"[\s\S]*?<OPTION value="powerlaw"\/>/);
    assert.match(lightCurve, /<PARAM[^>]*name="THRESHOLD"[^>]*unit="TeV"[^>]*value="0"/);
    assert.match(lightCurve, /<PARAM[^>]*name="TIME"[^>]*>[\s\S]*?<MIN value="\d{5}\.\d+"/);
    const spectrum = resources.find((r) => r[2]!.includes(SPECTRUM_ID))?.[2] ?? '';
    assert.ok(spectrum.includes(`value="${address}/analysis/spectrum/sync"`), links);
    assert.doesNotMatch(spectrum, /name="TIME"/);

    const tap = await (
      await fetch(`${address}/tap/sync`, {
        method: 'POST',
        body: new URLSearchParams({
          LANG: 'ADQL',
          QUERY: 'SELECT obs_publisher_did FROM ivoa.obscore',
        }),
      })
    ).text();
    assert.ok(tap.includes(STANDARD_ID), tap);
    assert.match(tap, /<PARAM[^>]*name="ID"[^>]*ref="dataset_id_1"/);
    assert.ok(tap.includes(SPECTRUM_ID) && tap.includes(LIGHTCURVE_ID), tap);

    // The sync service answers the request the descriptor describes.
    const made = await fetch(`${address}/analysis/sync`, {
      method: 'POST',
      body: analysisForm(dids.slice(0, 1)),
    });
    assert.equal(made.status, 200);

    // STILTS datalinklint: no error in the links document with the new descriptor.
    if (requireChecker(t, 'STILTS (Debian stilts)', ['stilts', '-version'])) {
      const path = join(tempDir(t), 'links.xml');
      writeFileSync(path, links);
      assert.deepEqual(datalinklintProblems(path), []);
    }
    if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
    const report = await runPythonJsonAsync<{
      procs: number;
      inputs: string[];
      from_links: string[];
      ids_sent: number;
      from_tap: string[];
      lightcurve_bins: number;
      lightcurve_columns: string[];
    }>(PYVO_SCRIPT, [
      `${address}/datalink?ID=${encodeURIComponent(dids[0]!)}`,
      `${address}/tap`,
      STANDARD_ID,
      secret,
      LIGHTCURVE_ID,
    ]);
    assert.equal(report.procs, 1);
    assert.deepEqual(report.inputs, [
      'BINSZ',
      'CENTER',
      'ENERGY',
      'ENERGY_TRUE',
      'FRAME',
      'ID',
      'OFFSET_MAX',
      'PROJ',
      'WIDTH',
    ]);
    assert.deepEqual(report.from_links.slice(1, 3), ['COUNTS', 'COUNTS_BANDS']);
    assert.equal(report.ids_sent, 2);
    assert.deepEqual(report.from_tap.slice(1, 3), ['COUNTS', 'COUNTS_BANDS']);
    assert.equal(report.lightcurve_bins, 2);
    assert.deepEqual(report.lightcurve_columns, ['time_min', 'flux', 'flux_err']);
  });
});
