/**
 * The one error type of the ADQL layer. Its message is written for the person who
 * typed the query (a TOPCAT or pyvo user) and can be shown as-is.
 */

/** A place in the query text; line and column count from 1, offset from 0. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export class AdqlError extends Error {
  /** The message without the position suffix. */
  readonly detail: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;

  constructor(detail: string, at: SourcePosition) {
    super(`${detail} (line ${at.line}, column ${at.column})`);
    this.name = 'AdqlError';
    this.detail = detail;
    this.line = at.line;
    this.column = at.column;
    this.offset = at.offset;
  }
}

/** Position of the start of a query, for errors about the query as a whole. */
export const queryStart: SourcePosition = Object.freeze({ offset: 0, line: 1, column: 1 });
