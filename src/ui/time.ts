import { formatDate, formatDateTime, formatTimeOfDay } from './format.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * A date in a <time> element, written in the page's one zone (the page says
 * which, once); the exact instant is in its datetime attribute. `time` is a
 * time of day (with the date when not today).
 */
export function timeElement(at: Date, format: 'date' | 'datetime' | 'time' = 'datetime', now: Date = new Date(), timeZone = 'UTC'): SafeHtml {
  const text = format === 'date' ? formatDate(at, timeZone) : format === 'time' ? formatTimeOfDay(at, now, timeZone) : formatDateTime(at, timeZone);
  return html`<time datetime="${at.toISOString()}" data-format="${format}">${text}</time>`;
}
