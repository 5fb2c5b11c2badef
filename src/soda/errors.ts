/**
 * The one error type of the soda module. Its message starts with a SODA 1.0 §5.2
 * error code (UsageError, MultiValuedParamNotSupported, ...) so that it can be sent
 * as it is in a DALI error document; `status` is the HTTP status that fits.
 */
import { DaliError } from '../dali/index.js';

export type SodaErrorCode =
  | 'Error'
  | 'AuthenticationError'
  | 'AuthorizationError'
  | 'ServiceUnavailable'
  | 'UsageError'
  | 'MultiValuedParamNotSupported';

/** The spine's DaliError with a SODA error code in front of its message. */
export class SodaError extends DaliError {
  /** What is wrong, without the code prefix. */
  readonly problem: string;

  constructor(
    readonly code: SodaErrorCode,
    problem: string,
    status: number = code === 'Error' ? 500 : 400,
    options?: { cause?: unknown; challenges?: readonly string[] },
  ) {
    super(status, `${code}: ${problem}`, options);
    this.name = 'SodaError';
    this.problem = problem;
  }
}

/** A request that cannot be served as asked: HTTP 400 unless told. */
export function usageError(problem: string, status = 400): SodaError {
  return new SodaError('UsageError', problem, status);
}
