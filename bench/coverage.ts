/**
 * Coverage of many observations: the unions per collection and for the service of their
 * fields of view's space MOCs, and the time MOCs of their GTIs, from ObsCore rows as the
 * catalog holds them. Measured in the same run:
 *  - baseline: making the rows and their field-of-view polygons;
 *  - ingest's share: each field of view's MOC (moc-wasm), once per observation, stored;
 *  - coverage now: the unions of the stored MOCs (what the server computes);
 *  - every form served: each MOC file in FITS, JSON and ASCII, made on first request
 *    (until they were made lazily, coverage made them all: that sum is "eager");
 *  - the service's space-time MOC: the GTI sweep with its unions, then its FITS and
 *    ASCII forms, with their sizes;
 *  - coverage before (--before): each MOC computed at coverage time and united pairwise
 *    with moc-wasm's `or`, as hearc did until the MOCs were stored.
 *
 *   node --import tsx bench/coverage.ts [--obs 100000] [--collections 10] [--before]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { CatalogRow } from '../src/engine/types.js';
import { circleToPolygon } from '../src/gadf/geometry.js';
import {
  fieldOfViewMoc,
  type MocLibrary,
  mocLibrary,
  observationSpaceMoc,
  type SpaceMoc,
  summariseCoverage,
  timeMocFromJdIntervals,
} from '../src/moc/index.js';

const { values } = parseArgs({
  options: {
    obs: { type: 'string' },
    collections: { type: 'string' },
    before: { type: 'boolean' },
  },
});
const total = Number(values.obs ?? 100_000);
const collections = Number(values.collections ?? 10);

interface Timing {
  readonly wall: number;
  /** CPU seconds of the process (user + system): the machine is shared, wall time is not ours alone. */
  readonly cpu: number;
}

function seconds(work: () => void): Timing {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  work();
  const used = process.cpuUsage(cpu);
  return {
    wall: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: (used.user + used.system) / 1e6,
  };
}

// Pointings spread over the sky like a survey: a few thousand targets, many runs each.
let seed = 42;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const targets = Array.from({ length: 3000 }, () => [
  360 * random(),
  (Math.asin(2 * random() - 1) * 180) / Math.PI,
]);
const obscore: CatalogRow[] = [];
const hea: CatalogRow[] = [];
const baseline = seconds(() => {
  for (let i = 0; i < total; i++) {
    const [ra, dec] = targets[i % targets.length]!;
    const did = `ivo://bench/c${i % collections}?${i}`;
    obscore.push({
      obs_publisher_did: did,
      obs_collection: `c${i % collections}`,
      s_region: circleToPolygon(ra! + 0.5 * random(), dec! * 0.99, 2.5),
      em_min: 1e-20,
      em_max: 1e-17,
    });
    const jd = 2_460_000.5 + i * 0.02;
    hea.push({
      obs_publisher_did: did,
      t_intervals: timeMocFromJdIntervals([[jd, jd + 0.0195]]),
      messenger: 'photon',
    });
  }
});
const row = (step: string, value: Timing): string =>
  `${step.padEnd(44)}${value.wall.toFixed(2).padStart(8)}${value.cpu.toFixed(2).padStart(8)}  ${(value.cpu / baseline.cpu).toFixed(2).padStart(6)}`;
console.log(`observations  ${total}  collections ${collections}`);
console.log(`${'step'.padEnd(44)}  wall s   CPU s   CPU ratio to baseline`);
console.log(row('rows + polygons (baseline)', baseline));
const library = await mocLibrary();
const stored = new Map<string, string>();
const ingestShare = seconds(() => {
  for (const row of obscore) {
    const ascii = observationSpaceMoc(library, row);
    if (ascii !== undefined) stored.set(String(row.obs_publisher_did), ascii);
  }
});
console.log(row("ingest's share: one MOC per observation", ingestShare));
let coverage: ReturnType<typeof summariseCoverage> | undefined;
const now = seconds(() => {
  coverage = summariseCoverage(library, obscore, hea, new Map(), undefined, stored);
});
console.log(row('coverage now: union of stored MOCs', now));
let servedBytes = 0;
const served = seconds(() => {
  for (const { space, time } of [...coverage!.collections.values(), coverage!.service]) {
    for (const file of [space, time])
      servedBytes += file.fits.length + file.json.length + file.ascii.length;
  }
});
const cells = coverage!.service.space.fits.length;
console.log(row('every form served once (FITS, JSON, ASCII)', served));
console.log(
  `  (${(servedBytes / 1e6).toFixed(1)} MB in ${2 * (coverage!.collections.size + 1)} MOC files)`,
);
let spaceTimeFits = 0;
const spaceTimeBuild = seconds(() => {
  spaceTimeFits = coverage!.service.spaceTime.fits.length;
});
console.log(row('service space-time MOC: sweep + FITS', spaceTimeBuild));
let spaceTimeAscii = 0;
const spaceTimeText = seconds(() => {
  spaceTimeAscii = coverage!.service.spaceTime.ascii.length;
});
console.log(row('service space-time MOC: ASCII', spaceTimeText));
console.log(
  `  (${(spaceTimeFits / 1e6).toFixed(1)} MB FITS, ${(spaceTimeAscii / 1e6).toFixed(1)} MB ASCII, ` +
    `${spaceTimeAscii === 0 ? 0 : coverage!.service.spaceTime.ascii.split('\n').length} elements)`,
);
const eager = { wall: now.wall + served.wall, cpu: now.cpu + served.cpu };
console.log(row('eager (coverage + every form, as before)', eager));
console.log(
  `eager / now: ${(eager.cpu / now.cpu).toFixed(1)}x CPU, ${(eager.wall / now.wall).toFixed(1)}x wall`,
);

/** The union as hearc made it before: pairwise moc-wasm `or`, balanced; frees its inputs. */
function pairwiseUnion(lib: MocLibrary, mocs: SpaceMoc[]): SpaceMoc {
  let level = mocs;
  while (level.length > 1) {
    const next: SpaceMoc[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const [a, b] = [level[i]!, level[i + 1]];
      if (b === undefined) next.push(a);
      else {
        next.push(a.or(b));
        a.free();
        b.free();
      }
    }
    level = next;
  }
  return level[0]!;
}

let beforeCells = 0;
const before = values.before
  ? seconds(() => {
      const byCollection = new Map<string, SpaceMoc[]>();
      for (const row of obscore) {
        const mocs = byCollection.get(String(row.obs_collection)) ?? [];
        byCollection.set(String(row.obs_collection), mocs);
        mocs.push(fieldOfViewMoc(library, Float64Array.from(row.s_region as number[])));
      }
      const service = pairwiseUnion(
        library,
        [...byCollection.values()].map((mocs) => pairwiseUnion(library, mocs)),
      );
      beforeCells = service.toFits().length;
      service.free();
    })
  : undefined;

if (before !== undefined) {
  console.log(row('before: MOCs + pairwise or (space only)', before));
  console.log(`before / now: ${(before.cpu / now.cpu).toFixed(1)}x CPU`);
  console.log(
    `service space MOC: ${cells} bytes (FITS, hearc), ${beforeCells} bytes (moc-wasm toFits) before`,
  );
} else {
  console.log(`service space MOC FITS: ${cells} bytes (--before also times the old way)`);
}
console.log(
  `target: coverage of 1e5 observations under 10 s (load average ${loadavg()[0]!.toFixed(1)})`,
);
