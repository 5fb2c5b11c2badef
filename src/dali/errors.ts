/**
 * The one error type of the protocols (TAP, DataLink, SODA, UWS, VOSI): a request the
 * service refuses or could not serve, with the HTTP status that fits (DALI 1.1 §4.2)
 * and a message for the user. The http layer renders it as the protocol's error
 * document (a VOTable with QUERY_STATUS=ERROR for DALI services).
 */
export class DaliError extends Error {
  /** WWW-Authenticate values of a 401 answer (logging in could help). */
  readonly challenges: readonly string[] | undefined;
  /** Seconds after which a 503 (busy) request may succeed (HTTP Retry-After). */
  readonly retryAfterS: number | undefined;

  constructor(
    readonly status: number,
    message: string,
    options?: {
      readonly cause?: unknown;
      readonly challenges?: readonly string[];
      readonly retryAfterS?: number;
    },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : {});
    this.name = 'DaliError';
    this.challenges = options?.challenges;
    this.retryAfterS = options?.retryAfterS;
  }
}
