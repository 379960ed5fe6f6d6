import { AMOUNT_DECIMALS } from '../domain/amounts.ts';

/**
 * Numbers and dates as the card shows them. Dates are rendered in UTC on the
 * server (the only zone it knows for sure) inside <time datetime>; the page
 * script rewrites them in the reader's own zone.
 */
/** Up to 4 decimal places, as amounts are kept (domain/amounts.ts): 1,470.5, never rounded to 3 places as the default would. */
const numberFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: AMOUNT_DECIMALS });

export const formatPoints = (points: number) => numberFormat.format(points);

export const formatSignedPoints = (points: number) => (points > 0 ? `+${numberFormat.format(points)}` : numberFormat.format(points));

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });

export const formatDate = (at: Date) => dateFormat.format(at);
/** A time of day, with the date in front when it is not the day of `now`: "14:05 UTC", "1 Dec 2026, 14:05 UTC". */
export const formatTimeOfDay = (at: Date, now: Date) => (formatDate(at) === formatDate(now) ? `${timeFormat.format(at)} UTC` : formatDateTime(at));
export const formatDateTime = (at: Date) => `${dateTimeFormat.format(at)} UTC`;

const HOUR_MS = 60 * 60 * 1000;

/** How far a date is from now: "in 3 hours", "in 12 days", "2 days ago". Hours below two days, where "tomorrow" would depend on the zone. */
export function relativeTime(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const hours = Math.abs(ms) / HOUR_MS;
  const amount = hours < 1 ? 'less than an hour' : hours < 48 ? plural(Math.floor(hours), 'hour') : plural(Math.floor(hours / 24), 'day');
  return ms >= 0 ? `in ${amount}` : `${amount} ago`;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
