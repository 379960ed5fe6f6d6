import { type DestinationStream, pino, type Logger } from 'pino';
import { humanLogDestination } from './log-lines.ts';

/** Secrets that may pass through a log line, censored wherever they appear. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers.cookie',
  'key',
  '*.key',
  'password',
  '*.password',
  'adminToken',
  '*.adminToken',
  // Webhook encryption keys, signing secrets and the points-log auth header, under every name they travel by.
  'encryptionKey',
  '*.encryptionKey',
  'signingSecret',
  '*.signingSecret',
  'authHeader',
  '*.authHeader',
  '*.webhook.encryptionKey',
  '*.webhook.signingSecret',
];

/**
 * Addresses whose query string is what someone typed to find a person (an
 * email, a phone number, a name): the query is left out of the log line.
 */
const PERSONAL_QUERIES = new Set(['/ui/contacts']);

/** A request's address as logged. */
export function loggedUrl(url: string): string {
  const at = url.indexOf('?');
  return at >= 0 && PERSONAL_QUERIES.has(url.slice(0, at)) ? `${url.slice(0, at)}?[redacted]` : url;
}

/** The request as Fastify logs it, its address through loggedUrl. */
interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number | undefined } | undefined;
}
const serializers = {
  req: (request: LoggedRequest) => ({
    method: request.method,
    url: loggedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};

/** JSON lines to stdout; `destination` lets tests read exactly what would be written. */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = { level, name, serializers, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };

/** The logger of a process (the API, the worker): JSON lines, or human ones when LOG_FORMAT says so or, unset, on a terminal. */
export function createProcessLogger(level: string, name: string, format: 'json' | 'human' | undefined): Logger {
  const human = format === 'human' || (format === undefined && process.stdout.isTTY);
  return createLogger(level, name, human ? humanLogDestination(process.stdout) : undefined);
}
