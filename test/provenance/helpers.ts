/** Reading provenance documents with the W3C `prov` package (Debian python3-prov). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

export const requireProv = (t: TestContext): boolean =>
  requireChecker(t, 'prov (Debian python3-prov)', [PYTHON, '-c', 'import prov.model']);

/** What prov makes of a document: its records and the PROV-N it writes for it. */
export interface ProvReading {
  readonly provn: string;
  readonly entities: Record<string, Record<string, string>>;
  readonly activities: readonly string[];
  readonly agents: readonly string[];
  readonly derivations: readonly (readonly [string, string])[];
  readonly usages: readonly (readonly [string, string])[];
}

const READ = `
import json, sys
import prov.model as pm
doc = pm.ProvDocument.deserialize(source=sys.argv[1], format=sys.argv[2])
def attrs(r):
    return {str(k): str(v) for k, v in r.attributes if k not in ()}
out = dict(
    provn=doc.get_provn() + '\\n',
    entities={str(r.identifier): attrs(r) for r in doc.get_records(pm.ProvEntity)},
    activities=[str(r.identifier) for r in doc.get_records(pm.ProvActivity)],
    agents=[str(r.identifier) for r in doc.get_records(pm.ProvAgent)],
    derivations=[[str(r.get_attribute(pm.PROV_ATTR_GENERATED_ENTITY).pop()), str(r.get_attribute(pm.PROV_ATTR_USED_ENTITY).pop())] for r in doc.get_records(pm.ProvDerivation)],
    usages=[[str(r.get_attribute(pm.PROV_ATTR_ACTIVITY).pop()), str(r.get_attribute(pm.PROV_ATTR_ENTITY).pop())] for r in doc.get_records(pm.ProvUsage)],
)
print(json.dumps(out))
`;

/** Reads a PROV-JSON ('json') or PROV-XML ('xml') document with prov. */
export function readWithProv(t: TestContext, text: string, format: 'json' | 'xml'): ProvReading {
  const path = join(tempDir(t), `doc.${format}`);
  writeFileSync(path, text);
  return runPythonJson<ProvReading>(READ, [path, format]);
}
