/**
 * The one error type of the fits layer. Its message names where the problem is
 * (file, HDU, card or column) and what is wrong; the same parts are fields for
 * callers that want to render them differently.
 */
export interface FitsErrorContext {
  readonly file?: string;
  /** HDU as `index (EXTNAME)`, e.g. `1 (EVENTS)`, or just the index when unnamed. */
  readonly hdu?: string;
  /** Keyword of the card, or `#n` (1-based position) when the keyword itself is unreadable. */
  readonly card?: string;
  readonly column?: string;
}

export class FitsError extends Error {
  readonly file?: string;
  readonly hdu?: string;
  readonly card?: string;
  readonly column?: string;
  /** What is wrong, without the location prefix. */
  readonly problem: string;

  constructor(problem: string, context: FitsErrorContext = {}, options?: { cause?: unknown }) {
    super(describeLocation(context) + problem, options);
    this.name = 'FitsError';
    this.problem = problem;
    if (context.file !== undefined) this.file = context.file;
    if (context.hdu !== undefined) this.hdu = context.hdu;
    if (context.card !== undefined) this.card = context.card;
    if (context.column !== undefined) this.column = context.column;
  }

  /** The same problem with more of its location filled in (existing parts win). */
  within(context: FitsErrorContext): FitsError {
    const merged: FitsErrorContext = {
      file: this.file ?? context.file,
      hdu: this.hdu ?? context.hdu,
      card: this.card ?? context.card,
      column: this.column ?? context.column,
    };
    return new FitsError(this.problem, merged, { cause: this.cause });
  }
}

function describeLocation(context: FitsErrorContext): string {
  const parts: string[] = [];
  if (context.file !== undefined) parts.push(context.file);
  if (context.hdu !== undefined) parts.push(`HDU ${context.hdu}`);
  if (context.card !== undefined)
    parts.push(context.card.startsWith('#') ? `card ${context.card}` : `card '${context.card}'`);
  if (context.column !== undefined) parts.push(`column '${context.column}'`);
  return parts.length > 0 ? parts.join(', ') + ': ' : '';
}

/** How an HDU is named in messages: its index and, when it has one, its EXTNAME. */
export function hduLabel(index: number, extname: string): string {
  if (extname === '') return index === 0 ? '0 (primary)' : String(index);
  return `${index} (${extname})`;
}

/** Runs `work`, adding `context` to any FitsError it throws. */
export function withFitsContext<T>(context: FitsErrorContext, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof FitsError) throw error.within(context);
    throw error;
  }
}
