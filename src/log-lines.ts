import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every pino line carries, which a person reading a terminal does not need. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function fieldText(key: string, value: unknown): string {
  if (key === 'req' && value && typeof value === 'object' && 'method' in value && 'url' in value) return `${String(value.method)} ${String(value.url)}`;
  if (key === 'res' && value && typeof value === 'object' && 'statusCode' in value) return `-> ${String(value.statusCode)}`;
  if (key === 'responseTime' && typeof value === 'number') return `${value.toFixed(1)} ms`;
  if (key === 'err' && value && typeof value === 'object' && 'message' in value) return `error=${valueText(value.message)}`;
  return `${key}=${valueText(value)}`;
}

/**
 * One pino JSON line as a line for people: local time, level, message, then
 * the fields as key=value. An error's stack follows on indented lines. A line
 * that is not pino's passes unchanged.
 */
export function humanLogLine(line: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (!entry || typeof entry !== 'object' || !('level' in entry) || typeof entry.level !== 'number') return line;
  const fields = Object.entries(entry).filter(([key]) => !HIDDEN.has(key));
  const time = 'time' in entry && typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '';
  const message = 'msg' in entry && typeof entry.msg === 'string' ? entry.msg : '';
  const head = [time, (LEVELS[entry.level] ?? String(entry.level)).padEnd(5), message, ...fields.map(([key, value]) => fieldText(key, value))];
  const err = 'err' in entry && entry.err && typeof entry.err === 'object' && 'stack' in entry.err ? entry.err.stack : undefined;
  const stack =
    typeof err === 'string'
      ? err
          .split('\n')
          .slice(1)
          .map((l) => `    ${l.trim()}`)
      : [];
  return [head.filter(Boolean).join(' '), ...stack].join('\n');
}

/** A pino destination that writes human lines to `out` (LOG_FORMAT=human). */
export function humanLogDestination(out: NodeJS.WritableStream): DestinationStream {
  return { write: (chunk: string) => void out.write(`${humanLogLine(chunk.trimEnd())}\n`) };
}
