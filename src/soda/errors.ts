/**
 * The one error type of the soda module. Its message starts with a SODA 1.0 §5.2
 * error code (UsageError, MultiValuedParamNotSupported, ...) so that it can be sent
 * as it is in a DALI error document; `status` is the HTTP status that fits.
 */
export type SodaErrorCode =
  | 'Error'
  | 'AuthenticationError'
  | 'AuthorizationError'
  | 'ServiceUnavailable'
  | 'UsageError'
  | 'MultiValuedParamNotSupported';

export class SodaError extends Error {
  /** What is wrong, without the code prefix. */
  readonly problem: string;
  /** WWW-Authenticate values of a 401 answer (logging in could help). */
  readonly challenges: readonly string[] | undefined;

  constructor(
    readonly code: SodaErrorCode,
    problem: string,
    readonly status: number = code === 'Error' ? 500 : 400,
    options?: { cause?: unknown; challenges?: readonly string[] },
  ) {
    super(`${code}: ${problem}`, options?.cause !== undefined ? { cause: options.cause } : {});
    this.name = 'SodaError';
    this.problem = problem;
    this.challenges = options?.challenges;
  }
}

/** A request that cannot be served as asked: HTTP 400 unless told. */
export function usageError(problem: string, status = 400): SodaError {
  return new SodaError('UsageError', problem, status);
}
