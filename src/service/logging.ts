/**
 * The one logger's settings (pino, through Fastify): readable lines when a person
 * watches a terminal, JSON lines for machines otherwise (HEARC_LOG=json|pretty
 * overrides), and URLs as they may be logged: query values that look like secrets
 * are blanked, so a token sent in a URL never reaches a log.
 */
import { ConfigError } from './config.js';

export type LogStyle = 'json' | 'pretty';

/** HEARC_LOG if set, else pretty on a terminal and JSON elsewhere. */
export function logStyleFor(
  env: Readonly<Record<string, string | undefined>>,
  isTerminal: boolean,
): LogStyle {
  const asked = env.HEARC_LOG?.trim().toLowerCase();
  if (asked === undefined || asked === '') return isTerminal ? 'pretty' : 'json';
  if (asked === 'json' || asked === 'pretty') return asked;
  throw new ConfigError(`HEARC_LOG must be 'json' or 'pretty' (got '${env.HEARC_LOG}')`);
}

/**
 * pino options for Fastify's logger in this style. JSON lines always carry the pid; lines
 * for people show it with `showPid` (the processes of `hearc serve --processes N`).
 */
export function loggerOptions(style: LogStyle, showPid = false): Record<string, unknown> {
  const base = {
    level: 'info',
    // Never a credential, whatever a log call is handed.
    redact: {
      paths: ['headers.authorization', 'req.headers.authorization', '*.token', 'token'],
      censor: '[hidden]',
    },
  };
  if (style === 'json') return base;
  return {
    ...base,
    transport: {
      target: 'pino-pretty',
      options: {
        translateTime: 'SYS:HH:MM:ss',
        ignore: showPid ? 'hostname,reqId' : 'pid,hostname,reqId',
        singleLine: true,
      },
    },
  };
}

/** Query parameters whose values are never logged. */
const SECRET_PARAMETER =
  /^(?:token|access_token|id_token|refresh_token|api_?key|key|password|passwd|secret|code|sig|signature|auth|authorization|jwt|session)$/i;

/** `url` (path and query) with the values of secret-looking query parameters blanked. */
export function loggableUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const parts = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: judge the name as sent.
      }
      return eq >= 0 && SECRET_PARAMETER.test(name.trim()) ? `${rawName}=[hidden]` : pair;
    });
  return `${url.slice(0, start)}?${parts.join('&')}`;
}
