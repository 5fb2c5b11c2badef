/**
 * GCN notices in the unified JSON schema (@nasa-gcn/schema), validated with ajv against
 * the schema the notice names in `$schema` (the installed version of the same path).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { type Alert, messengerOf, mjdOfIso } from './alert.js';
import { AlertError } from './errors.js';
import { gaussianMap, gaussianSigma } from './localisation.js';
import { skymapAlert } from './skymap.js';

const SCHEMA_PATH = /\/gcn\/notices\/.+\.schema\.json$/;

let validators: { ajv: Ajv2020; byPath: Map<string, string> } | undefined;

function schemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...schemaFiles(path));
    else if (entry.name.endsWith('.schema.json')) out.push(path);
  }
  return out;
}

/** Every schema of the installed @nasa-gcn/schema, by its path after the version. */
function loadSchemas(): { ajv: Ajv2020; byPath: Map<string, string> } {
  if (validators) return validators;
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('@nasa-gcn/schema/package.json')), 'gcn');
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  const byPath = new Map<string, string>();
  for (const file of schemaFiles(root)) {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { $id?: string };
    if (typeof schema.$id !== 'string') continue;
    ajv.addSchema(schema);
    const path = SCHEMA_PATH.exec(schema.$id)?.[0];
    if (path) byPath.set(path, schema.$id);
  }
  validators = { ajv, byPath };
  return validators;
}

function validatorFor(schemaUrl: unknown, source: string): ValidateFunction {
  if (typeof schemaUrl !== 'string') {
    throw new AlertError('a GCN notice names its schema in "$schema"; this one does not', source);
  }
  const path = SCHEMA_PATH.exec(schemaUrl)?.[0];
  const { ajv, byPath } = loadSchemas();
  const id = path ? byPath.get(path) : undefined;
  const validate = id ? ajv.getSchema(id) : undefined;
  if (!validate) throw new AlertError(`unknown GCN notice schema ${schemaUrl}`, source);
  return validate;
}

type Json = Record<string, unknown>;

const first = (value: unknown): string | undefined =>
  Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** An alert from a GCN JSON notice (its text). */
export function gcnAlert(text: string, source: string): Alert {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AlertError(`not JSON: ${(error as Error).message}`, source);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AlertError('a GCN notice is a JSON object', source);
  }
  const notice = parsed as Json;
  const validate = validatorFor(notice.$schema, source);
  const schemaUrl = String(notice.$schema);
  if (!validate(parsed)) {
    const problem = validate.errors?.[0];
    throw new AlertError(
      `does not follow ${schemaUrl}: ${problem?.instancePath || '(the notice)'} ${problem?.message ?? ''}`.trim(),
      source,
    );
  }
  const alertId = first(notice.event_name) ?? first(notice.ref_ID) ?? first(notice.id);
  if (!alertId) throw new AlertError('the notice has no event_name, ref_ID or id', source);
  const timeText = first(notice.trigger_time) ?? first(notice.alert_datetime);
  const tEvent = timeText !== undefined ? mjdOfIso(timeText) : undefined;
  if (timeText === undefined || tEvent === undefined) {
    throw new AlertError(
      `the notice has no readable trigger_time (${timeText ?? 'absent'})`,
      source,
    );
  }
  const direction = (notice.most_probable_direction ?? {}) as Json;
  const ra = num(notice.ra) ?? num(direction.ra);
  const dec = num(notice.dec) ?? num(direction.dec);
  const given = notice.ra_dec_error;
  // An ellipse counts as its semi-major axis: the circle holds at least the containment.
  const radius = Array.isArray(given) ? num(given[0]) : num(given);
  const containment = num(notice.containment_probability) ?? 0.9;
  const errors: Partial<Record<50 | 68 | 90 | 99, number>> = {};
  const level = Math.round(containment * 100);
  if (radius !== undefined && (level === 50 || level === 68 || level === 90 || level === 99)) {
    errors[level] = radius;
  }
  const src50 = num(notice.src_error_50);
  if (src50 !== undefined) errors[50] = src50;
  const messenger =
    typeof notice.messenger === 'string'
      ? notice.messenger.toLowerCase().replace(/\s+/g, '-')
      : messengerOf(first(notice.mission), first(notice.instrument), first(notice.type));
  const base = {
    alertId,
    ...(num(notice.record_number) !== undefined ? { revision: num(notice.record_number) } : {}),
    messenger,
    tEvent,
    tEventIso: timeText,
    errors,
    source: schemaUrl,
    format: 'gcn-json' as const,
    document: text,
  };
  if (typeof notice.healpix_file === 'string') {
    const map = skymapAlert(Buffer.from(notice.healpix_file, 'base64'), `${source} (healpix_file)`);
    return { ...base, ra: ra ?? map.ra, dec: dec ?? map.dec, localisation: map.localisation };
  }
  if (ra === undefined || dec === undefined) return base;
  if (radius === undefined || !(radius > 0) || !(containment > 0 && containment < 1)) {
    return { ...base, ra, dec };
  }
  const sigma = gaussianSigma(radius, containment);
  return { ...base, ra, dec, localisation: gaussianMap(ra, dec, sigma) };
}
