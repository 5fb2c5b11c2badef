/**
 * The catalog tables of access rights, never published: the owning group and any
 * explicit override of each observation's rights, the history of rights changes, and
 * the hearc API tokens (hashed). `data_rights` and `obs_release_date` themselves live
 * in ivoa.obscore, where clients read them.
 */
import { columnDef, type TableDef } from '../schema/types.js';

const required = { nullable: false } as const;
const timestamp = { xtype: 'timestamp', arraysize: '*' } as const;

/** Per observation: its owning group, and the rights an operator set explicitly (kept over re-ingest). */
export const observationRightsTable: TableDef = {
  schema: 'hearc_internal',
  name: 'observation_rights',
  description: 'Owning group and explicit rights of each observation.',
  columns: [
    columnDef('obs_publisher_did', 'char', 'Dataset identifier.', required),
    columnDef('data_rights', 'char', 'public, proprietary or secure.', required),
    columnDef('obs_release_date', 'char', 'When the data become public (UTC).', timestamp),
    columnDef('owner_group', 'char', 'Group whose members read the data before release.'),
    columnDef(
      'overridden',
      'boolean',
      'True when set by an operator: re-ingest keeps it.',
      required,
    ),
    columnDef('changed_by', 'char', 'Who set these rights.', required),
    columnDef('changed_at', 'char', 'When.', { ...timestamp, nullable: false }),
  ],
  primaryKey: ['obs_publisher_did'],
  logCommits: true,
};

/** Every change of an observation's rights: who, when, what. Append-only. */
export const rightsChangeTable: TableDef = {
  schema: 'hearc_internal',
  name: 'rights_change',
  description: 'History of access-rights changes.',
  columns: [
    columnDef('obs_publisher_did', 'char', 'Dataset identifier.', required),
    columnDef('data_rights', 'char', 'Rights after the change.', required),
    columnDef('obs_release_date', 'char', 'Release date after the change.', timestamp),
    columnDef('owner_group', 'char', 'Owning group after the change.'),
    columnDef('changed_by', 'char', 'Who made the change.', required),
    columnDef('changed_at', 'char', 'When.', { ...timestamp, nullable: false }),
    columnDef('via', 'char', 'ingest, or the command that made it.', required),
  ],
};

/** hearc API tokens: only a SHA-256 digest of the secret is kept. */
export const apiTokenTable: TableDef = {
  schema: 'hearc_internal',
  name: 'api_token',
  description: 'API tokens (hashed) with their user and groups.',
  columns: [
    columnDef('token_id', 'char', 'Public identifier of the token.', required),
    columnDef('user_name', 'char', 'User the token stands for.', required),
    columnDef('groups', 'char', 'Comma-separated groups.', required),
    columnDef('secret_sha256', 'char', 'Hex SHA-256 of the secret part.', required),
    columnDef('created_at', 'char', 'When it was created.', { ...timestamp, nullable: false }),
    columnDef('revoked_at', 'char', 'When it was revoked; null while valid.', timestamp),
  ],
  primaryKey: ['token_id'],
};

export const rightsTables: readonly TableDef[] = [
  observationRightsTable,
  rightsChangeTable,
  apiTokenTable,
];
