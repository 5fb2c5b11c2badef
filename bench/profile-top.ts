/**
 * The top of a V8 CPU profile (`node --cpu-prof`) by self time, and the share of a few
 * named parts of the result path, so that PROFILE.md can say where the time goes.
 *
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [--top 30] [--within NAME] [--after SECONDS]
 *
 * --within keeps only the samples taken inside a function of that name (e.g. the step a
 * bench times), with garbage collection counted where it happened (it has no caller).
 * --after drops the samples of the first SECONDS of the profile (a server's start-up work
 * before the load it was profiled under).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string' }, within: { type: 'string' }, after: { type: 'string' } },
});
const top = Number(values.top ?? 30);
const within = values.within;
const afterUs = Number(values.after ?? 0) * 1e6;

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules\/|src\/)/, '$1').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
}

for (const path of positionals) {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const insideCache = new Map<number, boolean>();
  const inside = (id: number): boolean => {
    const known = insideCache.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const result =
      byId.get(id)?.callFrame.functionName === within || (up !== undefined && inside(up));
    insideCache.set(id, result);
    return result;
  };
  // GC samples sit at the root: count each with the step of the sample before it.
  let previousInside = false;
  const self = new Map<string, number>();
  let total = 0;
  let elapsed = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    elapsed += dt;
    if (elapsed < afterUs) continue;
    total += dt;
    if (!node) continue;
    if (within !== undefined) {
      const gc = node.callFrame.functionName === '(garbage collector)';
      const counted: boolean = gc ? previousInside : inside(node.id);
      if (!gc) previousInside = counted;
      if (!counted) {
        total -= dt;
        continue;
      }
    }
    const key = label(node);
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const ms = (us: number): string => (us / 1000).toFixed(0).padStart(7);
  const pct = (us: number): string => ((100 * us) / total).toFixed(1).padStart(5);
  console.log(`\n${path}: ${ms(total).trim()} ms sampled\n   self ms      %  function`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${ms(us)}  ${pct(us)}  ${key}`);
  }
}
