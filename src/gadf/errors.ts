/** A data store problem that stops reading it: names the file and what is wrong. */
export class GadfError extends Error {
  constructor(
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${path}: ${message}` : message, options);
    this.name = 'GadfError';
  }
}
