/**
 * The protocol spine is the only way in and out: no route reads request parameters or
 * writes an error document except through src/http/dali.ts; the protocol modules have
 * one error type (DaliError, SODA's a subclass) and one XML escaper (src/dali/xml.ts).
 * And the spine itself: case-insensitive names, repeated parameters, malformed escapes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DaliError, DaliParameters } from '../../src/dali/index.js';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sources(dir: string): [string, string][] {
  return readdirSync(join(SRC, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [`${dir}/${f}`, readFileSync(join(SRC, dir, f), 'utf8')]);
}

test('routes read parameters and write errors only through the spine', () => {
  const offences: string[] = [];
  for (const [file, text] of sources('http')) {
    if (file === 'http/dali.ts') continue;
    for (const pattern of [
      /request\.query\b/,
      /request\.body\b/,
      /votableError\(/,
      /URLSearchParams/,
    ]) {
      if (pattern.test(text)) offences.push(`${file}: ${pattern.source}`);
    }
  }
  assert.deepEqual(offences, []);
});

test('protocol modules have one error type and one XML escaper', () => {
  const offences: string[] = [];
  for (const dir of ['http', 'tap', 'uws', 'soda', 'datalink', 'dali']) {
    for (const [file, text] of sources(dir)) {
      for (const m of text.matchAll(/class (\w+) extends (\w+)/g)) {
        const [, name, base] = m;
        // Internal failures that never reach a client as such are allowed to be plain errors.
        const internal = ['ProductSourceError', 'JobFailure', 'RefusedAddress'].includes(
          name ?? '',
        );
        if (name !== 'DaliError' && base !== 'DaliError' && !internal) {
          offences.push(`${file}: ${name} extends ${base}`);
        }
      }
      if (dir !== 'dali' && /function (escapeXml|xmlText|escapeXmlText)\b/.test(text)) {
        offences.push(`${file}: an XML escaper of its own`);
      }
    }
  }
  assert.deepEqual(offences, []);
});

test('DALI parameters: case-insensitive, repeated, strictly decoded', () => {
  const params = DaliParameters.fromUrlEncoded('lang=ADQL&Query=SELECT+1&id=a&ID=b&x=%E2%9C%93');
  assert.equal(params.get('LANG'), 'ADQL');
  assert.equal(params.get('query'), 'SELECT 1');
  assert.deepEqual(params.all('id'), ['a', 'b']);
  assert.throws(() => params.get('ID'), /given 2 times with different values/);
  assert.equal(params.get('X'), '✓');
  assert.throws(
    () => DaliParameters.fromUrlEncoded('QUERY=%ff', 'the form body'),
    (error: unknown) =>
      error instanceof DaliError &&
      error.status === 400 &&
      /form body.*%-escape/.test(error.message),
  );
  assert.throws(() => params.required('MAXREC'), /MAXREC is required/);
});
