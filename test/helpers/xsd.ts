/**
 * Validating XML against the IVOA and OAI schemas with xmllint. The schemas come from
 * Debian (python3-gavo ships them under gavo/resources/schemata; HEARC_XSD_DIR points
 * elsewhere); nothing of them is copied into this repository. One wrapper schema imports
 * every namespace from its local file, so no schema is fetched from the network.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { onCi, requireChecker } from './env.js';

export const XSD_DIR =
  process.env.HEARC_XSD_DIR ?? '/usr/lib/python3/dist-packages/gavo/resources/schemata';

/** Namespace and file, in import order (a namespace is loaded from the first import naming it). */
const SCHEMAS: readonly (readonly [string, string])[] = [
  ['http://www.w3.org/XML/1998/namespace', 'xml.xsd'],
  ['http://www.w3.org/1999/xlink', 'xlink.xsd'],
  ['http://www.ivoa.net/xml/STC/stc-v1.30.xsd', 'stc.xsd'],
  ['http://www.ivoa.net/xml/VOResource/v1.0', 'VOResource.xsd'],
  ['http://www.ivoa.net/xml/VODataService/v1.1', 'VODataService.xsd'],
  ['http://www.ivoa.net/xml/TAPRegExt/v1.0', 'TAPRegExt.xsd'],
  ['http://www.ivoa.net/xml/VORegistry/v1.0', 'VORegistry.xsd'],
  ['http://www.ivoa.net/xml/RegistryInterface/v1.0', 'RegistryInterface.xsd'],
  ['http://purl.org/dc/elements/1.1/', 'simpledc20021212.xsd'],
  ['http://www.openarchives.org/OAI/2.0/oai_dc/', 'oai_dc.xsd'],
  ['http://www.openarchives.org/OAI/2.0/', 'OAI-PMH.xsd'],
];

let wrapper: string | undefined;

/**
 * VOResource 1.1 with Erratum 1 (accepted 2019-05-12) applied: an interface may list
 * several securityMethods (Debian's copy still allows one). Written to `dir`.
 */
function voResourceWithErratum(dir: string): string {
  const schema = readFileSync(join(XSD_DIR, 'VOResource.xsd'), 'utf8').replace(
    /(<xs:element name="securityMethod" type="vr:SecurityMethod"\s+minOccurs="0" maxOccurs=")1"/,
    '$1unbounded"',
  );
  const path = join(dir, 'VOResource.xsd');
  writeFileSync(path, schema);
  return path;
}

function wrapperSchema(): string {
  if (wrapper) return wrapper;
  const dir = mkdtempSync(join(tmpdir(), 'hearc-xsd-'));
  const voResource = voResourceWithErratum(dir);
  const imports = SCHEMAS.map(
    ([ns, file]) =>
      `  <xs:import namespace="${ns}" schemaLocation="file://${file === 'VOResource.xsd' ? voResource : join(XSD_DIR, file)}"/>`,
  ).join('\n');
  wrapper = join(dir, 'all.xsd');
  writeFileSync(
    wrapper,
    `<?xml version="1.0"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:hearc:test" elementFormDefault="qualified">\n${imports}\n</xs:schema>\n`,
  );
  return wrapper;
}

/** Skips the test (fails under CI) unless xmllint and the schemas are here. */
export function requireSchemas(t: TestContext): boolean {
  if (!requireChecker(t, 'xmllint (Debian libxml2-utils)', ['sh', '-c', 'command -v xmllint'])) {
    return false;
  }
  if (SCHEMAS.every(([, file]) => existsSync(join(XSD_DIR, file)))) return true;
  const why = `the IVOA/OAI schemas are not in ${XSD_DIR} (Debian python3-gavo; or set HEARC_XSD_DIR)`;
  if (onCi) throw new Error(why);
  t.skip(why);
  return false;
}

/** xmllint's complaints about `xml` against the schemas; empty when it is valid. */
export function schemaErrors(xml: string): string {
  const result = spawnSync('xmllint', ['--noout', '--nonet', '--schema', wrapperSchema(), '-'], {
    input: xml,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status === 0) return '';
  const complaints = result.stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.includes('Schemas parser warning'));
  return complaints.join('\n') || `xmllint exited with ${result.status}`;
}
