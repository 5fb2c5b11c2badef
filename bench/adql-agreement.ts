/**
 * Agreement of hearc's ADQL parser (syntax only, as `hearc adql check` without a schema)
 * with an independent validation suite: a folder of XML query sets of the form
 * `<query uuid="…"><adql valid="true|false" version="adql-2.1">…</adql></query>`, whose
 * `<functions><function><form>name(…) -> T</form></function></functions>` declare UDFs.
 * ADQL 2.1 queries make the headline figure; other versions are reported apart.
 *
 * ivoa/lyonetia's `src/adql/ivoa/` is the generic, parser-only set; `src/adql/gavo/` holds
 * DaCHS' own expectations (some contradict `ivoa/`). Keep the files outside the repository.
 *
 *   node --import tsx bench/adql-agreement.ts FOLDER   (or ADQL_SUITE=FOLDER)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdqlError, parseAdql } from '../src/adql/index.js';

interface SuiteQuery {
  readonly file: string;
  readonly uuid: string;
  readonly valid: boolean;
  readonly version: string;
  readonly text: string;
}

const folder = process.argv[2] ?? process.env.ADQL_SUITE;
if (!folder) {
  console.error('usage: node --import tsx bench/adql-agreement.ts FOLDER (or ADQL_SUITE=FOLDER)');
  process.exit(2);
}

function xmlText(raw: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(raw);
  if (cdata) return cdata[1]!;
  return raw
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`).exec(tag)?.[1];
}

function readQuerySet(file: string, xml: string): { queries: SuiteQuery[]; functions: string[] } {
  const withoutComments = xml.replace(/<!--[\s\S]*?-->/g, '');
  const functions = [...withoutComments.matchAll(/<form>([\s\S]*?)<\/form>/g)]
    .map((m) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(xmlText(m[1]!))?.[1])
    .filter((name): name is string => name !== undefined);
  const queries: SuiteQuery[] = [];
  for (const m of withoutComments.matchAll(/<query\b([^>]*)>([\s\S]*?)<\/query>/g)) {
    const uuid = attribute(m[1]!, 'uuid') ?? '?';
    for (const a of m[2]!.matchAll(/<adql\b([^>]*)>([\s\S]*?)<\/adql>/g)) {
      queries.push({
        file,
        uuid,
        valid: attribute(a[1]!, 'valid') === 'true',
        version: attribute(a[1]!, 'version') ?? 'adql-2.0',
        text: xmlText(a[2]!),
      });
    }
  }
  return { queries, functions };
}

interface Tally {
  agree: number;
  total: number;
}

const files = (await readdir(folder, { recursive: true })).filter((f) => f.endsWith('.xml')).sort();
const byVersion = new Map<string, Tally>();
const disagreements: string[] = [];
console.log('file'.padEnd(48), 'version'.padEnd(9), 'agree/total');
for (const file of files) {
  const { queries, functions } = readQuerySet(file, await readFile(join(folder, file), 'utf8'));
  const perFile = new Map<string, Tally>();
  for (const q of queries) {
    let error: string | undefined;
    try {
      parseAdql(q.text, { functions });
    } catch (e) {
      if (!(e instanceof AdqlError)) throw e;
      error = e.message;
    }
    const got = error === undefined;
    for (const tally of [perFile, byVersion]) {
      const t = tally.get(q.version) ?? { agree: 0, total: 0 };
      t.total += 1;
      if (got === q.valid) t.agree += 1;
      tally.set(q.version, t);
    }
    if (got !== q.valid) {
      disagreements.push(
        `${q.version} ${file} ${q.uuid} expected ${q.valid ? 'valid' : 'invalid'}, got ${got ? 'valid' : 'invalid'}` +
          (error ? `: ${error}` : '') +
          `\n    ${q.text.trim().replace(/\s+/g, ' ')}`,
      );
    }
  }
  for (const [version, t] of perFile) {
    console.log(file.padEnd(48), version.padEnd(9), `${t.agree}/${t.total}`);
  }
}
console.log('\ndisagreements:');
for (const d of disagreements) console.log(d);
console.log('\ntotal:');
for (const [version, t] of [...byVersion].sort()) {
  const percent = ((100 * t.agree) / t.total).toFixed(1);
  console.log(`${version.padEnd(9)} ${t.agree}/${t.total} (${percent} %)`);
}
