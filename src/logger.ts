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

/** JSON lines to stdout; `destination` lets tests read exactly what would be written. */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = { level, name, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };

/** The logger of a process (the API, the worker): JSON lines, or human ones when LOG_FORMAT says so or, unset, on a terminal. */
export function createProcessLogger(level: string, name: string, format: 'json' | 'human' | undefined): Logger {
  const human = format === 'human' || (format === undefined && process.stdout.isTTY);
  return createLogger(level, name, human ? humanLogDestination(process.stdout) : undefined);
}
