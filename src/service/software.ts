/** hearc's own identity (name and version from package.json), for VOSI, provenance and logs. */
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  // src/service/ and dist/src/service/ both find package.json by walking up.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'hearc' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
}

export const SOFTWARE = { name: 'hearc', version: packageVersion() } as const;
