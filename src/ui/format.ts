import { AMOUNT_DECIMALS } from '../domain/amounts.ts';

/**
 * Numbers, dates and durations as the pages show them. A page shows every
 * time in one zone, the tenant's (UTC where no single tenant is concerned),
 * and says which once (`zoneLabel`); the server renders them, so what is read
 * is what was sent.
 */
/** Up to 4 decimal places, as amounts are kept (domain/amounts.ts): 1,470.5, never rounded to 3 places as the default would. */
const numberFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: AMOUNT_DECIMALS });

export const formatPoints = (points: number) => numberFormat.format(points);

export const formatSignedPoints = (points: number) => (points > 0 ? `+${numberFormat.format(points)}` : numberFormat.format(points));

interface ZoneFormats {
  date: Intl.DateTimeFormat;
  dateTime: Intl.DateTimeFormat;
  time: Intl.DateTimeFormat;
}

const byZone = new Map<string, ZoneFormats>();

function formatsOf(timeZone: string): ZoneFormats {
  let formats = byZone.get(timeZone);
  if (!formats) {
    const clock = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;
    formats = {
      date: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }),
      dateTime: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', ...clock, timeZone }),
      time: new Intl.DateTimeFormat('en-GB', { ...clock, timeZone }),
    };
    byZone.set(timeZone, formats);
  }
  return formats;
}

export const formatDate = (at: Date, timeZone = 'UTC') => formatsOf(timeZone).date.format(at);
/** A time of day, with the date in front when it is not the day of `now` (in the same zone): "14:05", "1 Dec 2026, 14:05". */
export const formatTimeOfDay = (at: Date, now: Date, timeZone = 'UTC') =>
  formatDate(at, timeZone) === formatDate(now, timeZone) ? formatsOf(timeZone).time.format(at) : formatDateTime(at, timeZone);
export const formatDateTime = (at: Date, timeZone = 'UTC') => formatsOf(timeZone).dateTime.format(at);

/** The zone a page's times are in, said once on the page: "Times in Europe/Stockholm (UTC+01:00)" (the offset at `at`), "Times in UTC". */
export function zoneLabel(timeZone: string, at?: Date): string {
  if (timeZone === 'UTC') return 'Times in UTC';
  if (!at) return `Times in ${timeZone}`;
  const offset = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((part) => part.type === 'timeZoneName');
  const utc = offset?.value.replace(/^GMT/, 'UTC') || 'UTC';
  return `Times in ${timeZone} (${utc === 'UTC' ? 'UTC+00:00' : utc})`;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * A length of time, exact to its two largest units: "45 seconds", "1 minute",
 * "2 hours 5 minutes", "3 days 4 hours".
 */
export function formatDuration(ms: number): string {
  const length = Math.abs(ms);
  if (length < MINUTE_MS) return plural(Math.floor(length / 1000), 'second');
  if (length < HOUR_MS) return plural(Math.floor(length / MINUTE_MS), 'minute');
  const parts = (big: number, bigUnit: string, small: number, smallUnit: string) => {
    const whole = Math.floor(length / big);
    const rest = Math.floor((length % big) / small);
    return rest === 0 ? plural(whole, bigUnit) : `${plural(whole, bigUnit)} ${plural(rest, smallUnit)}`;
  };
  return length < DAY_MS ? parts(HOUR_MS, 'hour', MINUTE_MS, 'minute') : parts(DAY_MS, 'day', HOUR_MS, 'hour');
}

/** How far a date is from now, exactly: "in 3 hours 10 minutes", "in 12 days", "2 days 1 hour ago". */
export function relativeTime(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(ms)} ago`;
}
