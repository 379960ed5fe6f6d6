/**
 * Times as masters send them. Engage takes a time without an offset in the
 * requestor's own time zone; the follower reads it in the tenant's time zone
 * (tenant setting `timeZone`), and a date alone as the start of that day there.
 * Everything is answered in UTC with an offset, as before.
 *
 * A wall-clock time the zone skips (the hour a DST start jumps over) or
 * repeats (the hour a DST end goes through twice) is read with the offset in
 * force just before the change: a skipped 02:30 becomes the instant the
 * clock would have shown 02:30 on the old offset (03:30 on the new one), a
 * repeated 02:30 its first occurrence. The same rule gives a day whose
 * midnight is skipped its real first instant.
 */

/** A date-time without an offset (`2026-12-01T12:20:03`, seconds and fraction optional) or a date alone (`2030-01-01`). */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Milliseconds since the epoch of a wall-clock reading taken as if it were UTC (years 1-99 included, which Date.UTC would shift). */
function wallClockMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

/** The zone's offset from UTC at an instant, in milliseconds (wall clock minus UTC). */
export function offsetAt(instantMs: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) parts[part.type] = part.value;
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const wall = wallClockMs(year, Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  const wholeSeconds = instantMs - (((instantMs % 1000) + 1000) % 1000);
  return wall - wholeSeconds;
}

/** Whether the value is in one of the two forms without an offset (not whether it names a real date). */
export const isLocalTime = (value: unknown): value is string => typeof value === 'string' && LOCAL_TIME.test(value);

/**
 * The instant (canonical ISO, UTC with milliseconds) a local date-time or a
 * date alone names in `timeZone`; null when the value is not one of those
 * forms or names no calendar date or clock time (2026-02-30, 24:00).
 */
export function localTimeToInstant(value: string, timeZone: string): string | null {
  const match = LOCAL_TIME.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const ms = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = wallClockMs(year, month, day, hour, minute, second, ms);
  // The date must survive the round trip: 2026-02-30 would roll over into March.
  const check = new Date(wall);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;

  // The offsets a day either side of the reading cover any one change of offset around it.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  // Read with the earlier offset when the clock shows this reading under it (no change, a repeated hour's first
  // occurrence), and when neither offset shows it (a skipped hour); otherwise the reading is after the change.
  const readBefore = wall - before;
  const instant = offsetAt(readBefore, timeZone) === before || offsetAt(wall - after, timeZone) !== after ? readBefore : wall - after;
  const iso = new Date(instant).toISOString();
  return /^\d{4}-/.test(iso) ? iso : null;
}

/**
 * The value with each of `fields` that holds a local date-time or a date alone
 * replaced by the instant it names in `timeZone`; for an array, each object in
 * it. Anything else is left as it is, for the contract to judge and word.
 * Answers the value itself when nothing needed reading.
 */
export function readLocalTimes(value: unknown, fields: readonly string[], timeZone: string): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const read = value.map((item) => {
      const next = readLocalTimes(item, fields, timeZone);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? read : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const field of fields) {
    const sent = record[field];
    if (!isLocalTime(sent)) continue;
    const instant = localTimeToInstant(sent, timeZone);
    if (instant === null) continue;
    copy ??= { ...record };
    copy[field] = instant;
  }
  return copy ?? value;
}
