/**
 * The audit trail: every refused access (who, which dataset, which path, why), every
 * granted read of data not yet public, every ADQL query of an identified caller
 * that touched rights-bearing tables, and every dataset an operator withdrew. Kept in the catalog (an internal table, never
 * published) for `hearc audit`, and logged. Never a credential: identities are user
 * names, paths have secret-looking query values blanked.
 */
import type { CatalogRow, Engine } from '../engine/types.js';
import { columnDef, type TableDef } from '../schema/types.js';
import type { Identity } from './rights.js';

const required = { nullable: false } as const;
const timestamp = { xtype: 'timestamp', arraysize: '*' } as const;

export const auditTable: TableDef = {
  schema: 'hearc_internal',
  name: 'audit_event',
  description: 'Audit trail of access to data that are not public, and of refusals.',
  columns: [
    columnDef('at', 'char', 'When (UTC).', { ...timestamp, nullable: false }),
    columnDef(
      'kind',
      'char',
      'denied, granted (a read of non-public data), query or withdrawn.',
      required,
    ),
    columnDef('user_name', 'char', 'The caller; null when anonymous.'),
    columnDef(
      'via',
      'char',
      'anonymous, api-token, oidc, credentials (refused) or operator (a local command).',
      required,
    ),
    columnDef('did', 'char', 'Dataset identifier, for file and product access.'),
    columnDef('tables', 'char', 'Rights-bearing tables an ADQL query touched, comma-separated.'),
    columnDef('path', 'char', 'Request path (secret query values blanked), or the async job.'),
    columnDef('reason', 'char', 'Why access was refused.'),
  ],
};

export type AuditKind = 'denied' | 'granted' | 'query' | 'withdrawn';

export interface AuditEvent {
  readonly at: Date;
  readonly kind: AuditKind;
  /** Undefined for anonymous callers and refused credentials. */
  readonly user?: string;
  /** operator: a command run on the server's machine (hearc withdraw). */
  readonly via: Identity['via'] | 'credentials' | 'operator';
  readonly did?: string;
  readonly tables?: readonly string[];
  readonly path?: string;
  readonly reason?: string;
}

export interface AuditFilter {
  readonly since?: Date;
  readonly user?: string;
}

/** One line for people: what happened, to what, by whom. */
export function describeAuditEvent(event: AuditEvent): string {
  const who = event.user ?? (event.via === 'credentials' ? 'refused credentials' : 'anonymous');
  const what =
    event.kind === 'query'
      ? `ADQL on ${event.tables?.join(', ') ?? '?'}`
      : (event.did ?? event.path ?? '?');
  const why = event.reason !== undefined ? `: ${event.reason}` : '';
  return `${event.kind} ${who} (${event.via}) ${what}${event.path ? ` [${event.path}]` : ''}${why}`;
}

/** The row of the audit table recording `event` (for writes inside a wider transaction). */
export function auditRow(event: AuditEvent): CatalogRow {
  return {
    at: event.at,
    kind: event.kind,
    user_name: event.user ?? null,
    via: event.via,
    did: event.did ?? null,
    tables: event.tables?.join(',') ?? null,
    path: event.path ?? null,
    reason: event.reason ?? null,
  };
}

/** The catalog's audit table: events appended, read back by time and user. */
export class AuditTrail {
  /** Events recorded in this turn of the event loop, written together at its end. */
  private queued: AuditEvent[] = [];
  private written: Promise<void> | undefined;

  constructor(private readonly engine: Engine) {}

  /**
   * Appends `event`: the events recorded in one turn of the event loop (a search's answer
   * can refuse a thousand datasets) are written in one transaction, which the promise awaits.
   */
  record(event: AuditEvent): Promise<void> {
    this.queued.push(event);
    this.written ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const events = this.queued;
      this.queued = [];
      this.written = undefined;
      return this.engine.transaction((tx) => tx.insertRows(auditTable, events.map(auditRow)));
    });
    return this.written;
  }

  /** Events in time order, those at or after `since` and of `user` when given. */
  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const rows = await this.engine.selectRows(
      auditTable,
      filter.user !== undefined ? { column: 'user_name', values: [filter.user] } : undefined,
    );
    const text = (value: unknown): string | undefined =>
      typeof value === 'string' ? value : undefined;
    return rows
      .map((row): AuditEvent => {
        const user = text(row.user_name);
        const did = text(row.did);
        const tables = text(row.tables);
        const path = text(row.path);
        const reason = text(row.reason);
        return {
          at: row.at instanceof Date ? row.at : new Date(String(row.at)),
          kind: String(row.kind) as AuditKind,
          via: String(row.via) as AuditEvent['via'],
          ...(user !== undefined ? { user } : {}),
          ...(did !== undefined ? { did } : {}),
          ...(tables !== undefined ? { tables: tables.split(',') } : {}),
          ...(path !== undefined ? { path } : {}),
          ...(reason !== undefined ? { reason } : {}),
        };
      })
      .filter((e) => filter.since === undefined || e.at.getTime() >= filter.since.getTime())
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}
