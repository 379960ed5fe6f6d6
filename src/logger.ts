import { pino, type Logger } from 'pino';

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
];

export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, redact: { paths: REDACT, censor: '[redacted]' } });
}

export type { Logger };
