/** The one error type of the alerts module: names the document and what is wrong in it. */
export class AlertError extends Error {
  constructor(
    readonly problem: string,
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(source ? `${source}: ${problem}` : problem, options);
    this.name = 'AlertError';
  }
}
