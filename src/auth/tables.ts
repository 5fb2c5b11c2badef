/**
 * The catalog tables of access rights, never published: the owning group and any
 * explicit override of each observation's rights, the history of rights changes, and
 * the hearc API tokens (hashed). `data_rights` and `obs_release_date` themselves live
 * in ivoa.obscore, where clients read them.
 */
import { type ColumnDef, columnDef, type TableDef } from '../schema/types.js';

function column(
  name: string,
  datatype: ColumnDef['datatype'],
  description: string,
  extra: Partial<ColumnDef> = {},
): ColumnDef {
  return columnDef(name, datatype, description, { std: false, ...extra });
}

const required = { nullable: false } as const;
const timestamp = { xtype: 'timestamp', arraysize: '*' } as const;

/** Per observation: its owning group, and the rights an operator set explicitly (kept over re-ingest). */
export const observationRightsTable: TableDef = {
  schema: 'hearc_internal',
  name: 'observation_rights',
  description: 'Owning group and explicit rights of each observation.',
  columns: [
    column('obs_publisher_did', 'char', 'Dataset identifier.', required),
    column('data_rights', 'char', 'public, proprietary or secure.', required),
    column('obs_release_date', 'char', 'When the data become public (UTC).', timestamp),
    column('owner_group', 'char', 'Group whose members read the data before release.'),
    column('overridden', 'boolean', 'True when set by an operator: re-ingest keeps it.', required),
    column('changed_by', 'char', 'Who set these rights.', required),
    column('changed_at', 'char', 'When.', { ...timestamp, nullable: false }),
  ],
  primaryKey: ['obs_publisher_did'],
};

/** Every change of an observation's rights: who, when, what. Append-only. */
export const rightsChangeTable: TableDef = {
  schema: 'hearc_internal',
  name: 'rights_change',
  description: 'History of access-rights changes.',
  columns: [
    column('obs_publisher_did', 'char', 'Dataset identifier.', required),
    column('data_rights', 'char', 'Rights after the change.', required),
    column('obs_release_date', 'char', 'Release date after the change.', timestamp),
    column('owner_group', 'char', 'Owning group after the change.'),
    column('changed_by', 'char', 'Who made the change.', required),
    column('changed_at', 'char', 'When.', { ...timestamp, nullable: false }),
    column('via', 'char', 'ingest, or the command that made it.', required),
  ],
};

/** hearc API tokens: only a SHA-256 digest of the secret is kept. */
export const apiTokenTable: TableDef = {
  schema: 'hearc_internal',
  name: 'api_token',
  description: 'API tokens (hashed) with their user and groups.',
  columns: [
    column('token_id', 'char', 'Public identifier of the token.', required),
    column('user_name', 'char', 'User the token stands for.', required),
    column('groups', 'char', 'Comma-separated groups.', required),
    column('secret_sha256', 'char', 'Hex SHA-256 of the secret part.', required),
    column('created_at', 'char', 'When it was created.', { ...timestamp, nullable: false }),
    column('revoked_at', 'char', 'When it was revoked; null while valid.', timestamp),
  ],
  primaryKey: ['token_id'],
};

export const rightsTables: readonly TableDef[] = [
  observationRightsTable,
  rightsChangeTable,
  apiTokenTable,
];
