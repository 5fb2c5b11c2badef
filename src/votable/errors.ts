/**
 * The one error type of the votable module. Its message names where the problem
 * is (row, field, line of an uploaded document) and what is wrong; the same parts
 * are fields for callers (the TAP layer) that render them differently.
 */
export interface VotableErrorContext {
  /** 1-based data row. */
  readonly row?: number;
  /** FIELD name. */
  readonly field?: string;
  /** 1-based line in an XML document being read. */
  readonly line?: number;
}

export class VotableError extends Error {
  readonly row?: number;
  readonly field?: string;
  readonly line?: number;
  /** What is wrong, without the location prefix. */
  readonly problem: string;

  constructor(problem: string, context: VotableErrorContext = {}, options?: { cause?: unknown }) {
    super(describeLocation(context) + problem, options);
    this.name = 'VotableError';
    this.problem = problem;
    if (context.row !== undefined) this.row = context.row;
    if (context.field !== undefined) this.field = context.field;
    if (context.line !== undefined) this.line = context.line;
  }

  /** The same problem with more of its location filled in (existing parts win). */
  within(context: VotableErrorContext): VotableError {
    return new VotableError(
      this.problem,
      {
        row: this.row ?? context.row,
        field: this.field ?? context.field,
        line: this.line ?? context.line,
      },
      { cause: this.cause },
    );
  }
}

function describeLocation(context: VotableErrorContext): string {
  const parts: string[] = [];
  if (context.line !== undefined) parts.push(`line ${context.line}`);
  if (context.row !== undefined) parts.push(`row ${context.row}`);
  if (context.field !== undefined) parts.push(`field '${context.field}'`);
  return parts.length > 0 ? parts.join(', ') + ': ' : '';
}

/** Adds the row and field to a VotableError thrown while encoding or decoding one cell. */
export function locateCellError(error: unknown, row: number, field: string | undefined): unknown {
  return error instanceof VotableError ? error.within({ row, field }) : error;
}
