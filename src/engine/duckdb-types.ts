/** How catalog columns are typed in DuckDB: the SQL of a definition and the node-api type, from one table. */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  FLOAT,
  INTEGER,
  LIST,
  SMALLINT,
  TIMESTAMP,
  UTINYINT,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import type { ColumnStorage, NumericDatatype } from './catalog-sql.js';

const ELEMENT_TYPES: Record<NumericDatatype, { sql: string; type: DuckDBType }> = {
  unsignedByte: { sql: 'UTINYINT', type: UTINYINT },
  short: { sql: 'SMALLINT', type: SMALLINT },
  int: { sql: 'INTEGER', type: INTEGER },
  long: { sql: 'BIGINT', type: BIGINT },
  float: { sql: 'REAL', type: FLOAT },
  double: { sql: 'DOUBLE', type: DOUBLE },
};

/** The DuckDB type a column is stored as. */
export function duckDbType(storage: ColumnStorage): { sql: string; type: DuckDBType } {
  switch (storage.kind) {
    case 'text':
      return { sql: 'VARCHAR', type: VARCHAR };
    case 'timestamp':
      return { sql: 'TIMESTAMP', type: TIMESTAMP };
    case 'geometry':
      return { sql: 'DOUBLE[]', type: LIST(DOUBLE) };
    case 'array': {
      const element = ELEMENT_TYPES[storage.element];
      return { sql: `${element.sql}[]`, type: LIST(element.type) };
    }
    case 'scalar':
      return storage.datatype === 'boolean'
        ? { sql: 'BOOLEAN', type: BOOLEAN }
        : ELEMENT_TYPES[storage.datatype];
  }
}
