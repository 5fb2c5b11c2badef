/**
 * A selection of datasets by an ADQL query (e.g. QUERY of the analysis service): the
 * query compiled as TAP compiles it, with the caller's dialect (their rights), and the
 * distinct obs_publisher_did values of its rows: at most `maxDatasets` + 1 of them (one
 * more than the caller takes, so that it can say the selection is too large).
 */
import { AdqlError, compileAdql } from '../adql/index.js';
import { DaliError } from '../dali/index.js';
import { type QueryService, queryFailure } from './query.js';

const DID_COLUMN = 'obs_publisher_did';

/**
 * The datasets `adql` selects, in the order of its rows; a DaliError (400) when it is
 * not valid ADQL, has no obs_publisher_did column or selects none.
 */
export async function selectedDatasetIds(
  service: QueryService,
  adql: string,
  maxDatasets: number,
  signal?: AbortSignal,
): Promise<string[]> {
  let compiled;
  try {
    compiled = compileAdql(adql, service.schema, service.dialect, {
      maxRows: service.limits.hardMaxrec,
    });
  } catch (err) {
    if (err instanceof AdqlError) throw new DaliError(400, `QUERY: ${err.message}`, { cause: err });
    throw err;
  }
  const column = compiled.columns.findIndex((c) => c.name.toLowerCase() === DID_COLUMN);
  if (column < 0) {
    throw new DaliError(
      400,
      `QUERY must select the ${DID_COLUMN} column (e.g. SELECT ${DID_COLUMN} FROM ivoa.obscore WHERE ...)`,
    );
  }
  const dids = new Set<string>();
  let cursor;
  try {
    cursor = await service.engine.stream(compiled.sql, {
      maxRows: service.limits.hardMaxrec,
      timeoutMs: service.limits.timeoutMs,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw queryFailure(err, service.limits);
  }
  try {
    for await (const batch of cursor.columnBatches()) {
      for (const value of batch.columns[column] ?? []) {
        if (value === null || value === undefined) continue;
        dids.add(String(value));
        if (dids.size > maxDatasets) return [...dids];
      }
    }
  } catch (err) {
    throw queryFailure(err, service.limits);
  } finally {
    await cursor.close();
  }
  if (dids.size === 0) throw new DaliError(400, 'QUERY selects no dataset: its result has no rows');
  return [...dids];
}
