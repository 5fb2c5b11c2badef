/** A service description for tests: the defaults (no file, no environment), with a public URL when given. */
import { loadServiceDescription, type ServiceDescription } from '../../src/service/index.js';

export function testService(publicUrl?: string): ServiceDescription {
  return loadServiceDescription({
    env: {},
    ...(publicUrl !== undefined ? { overrides: { publicUrl } } : {}),
  });
}
