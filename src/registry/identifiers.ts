/**
 * The IVOA identifiers of what hearc registers (IVOA Identifiers 2.0): the authority
 * itself, the publishing registry, the service, and one resource per collection, whose
 * datasets' identifiers (ivo://<authority>/<collection>?<obs_id>) it already prefixes.
 */
import type { ServiceDescription } from '../service/index.js';

export class ResourceIdentifiers {
  constructor(readonly authorityId: string) {}

  static of(service: Pick<ServiceDescription, 'authority'>): ResourceIdentifiers {
    return new ResourceIdentifiers(service.authority);
  }

  authority(): string {
    return `ivo://${this.authorityId}`;
  }
  registry(): string {
    return `ivo://${this.authorityId}/registry`;
  }
  service(): string {
    return `ivo://${this.authorityId}/tap`;
  }
  collection(name: string): string {
    return `ivo://${this.authorityId}/${encodeURIComponent(name)}`;
  }
}
