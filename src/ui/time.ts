import { formatDate, formatDateTime, formatTimeOfDay } from './format.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * A date in a <time> element: written in UTC by the server, rewritten by the
 * page script in the reader's own zone, the same way on the card and the
 * operator pages. `time` is a time of day (with the date when not today).
 */
export function timeElement(at: Date, format: 'date' | 'datetime' | 'time' = 'datetime', now: Date = new Date()): SafeHtml {
  const text = format === 'date' ? formatDate(at) : format === 'time' ? formatTimeOfDay(at, now) : formatDateTime(at);
  return html`<time datetime="${at.toISOString()}" data-format="${format}">${text}</time>`;
}
