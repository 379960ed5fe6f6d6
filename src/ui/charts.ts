import type { BalanceSeries } from '../domain/balance-chart.ts';
import { formatPoints } from './format.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * Small charts drawn as SVG on the server: readable without script, no
 * library, scaled by the viewBox to whatever width the panel has.
 */
const WIDTH = 720;
const HEIGHT = 160;
const PAD = { top: 12, right: 8, bottom: 22, left: 44 };

/**
 * Values per minute between `from` and `to` (minutes without a value count as
 * zero) as a filled area, with the peak on the axis.
 */
export function perMinuteChart(input: { title: string; from: Date; to: Date; points: { minute: Date; value: number }[] }): SafeHtml {
  const span = Math.max(1, input.to.getTime() - input.from.getTime());
  const peak = Math.max(1, ...input.points.map((p) => p.value));
  const x = (at: Date) => PAD.left + ((at.getTime() - input.from.getTime()) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (value: number) => HEIGHT - PAD.bottom - (value / peak) * (HEIGHT - PAD.top - PAD.bottom);
  const base = y(0);
  // One spike per minute with a value, so a quiet day is a flat line and a burst a narrow peak.
  const path = input.points
    .map((p) => {
      const left = x(p.minute);
      const right = x(new Date(p.minute.getTime() + 60_000));
      return `M${left.toFixed(1)} ${base.toFixed(1)}V${y(p.value).toFixed(1)}H${right.toFixed(1)}V${base.toFixed(1)}Z`;
    })
    .join('');
  const total = input.points.reduce((sum, p) => sum + p.value, 0);
  return html`<figure class="chart">
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${input.title}: ${formatPoints(total)} in all, at most ${formatPoints(peak)} in one minute">
      <line class="chart-axis" x1="${PAD.left}" y1="${base}" x2="${WIDTH - PAD.right}" y2="${base}" />
      <line class="chart-grid" x1="${PAD.left}" y1="${PAD.top}" x2="${WIDTH - PAD.right}" y2="${PAD.top}" />
      <text class="chart-label" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${formatPoints(peak)}</text>
      <text class="chart-label" x="${PAD.left - 6}" y="${base + 4}" text-anchor="end">0</text>
      <text class="chart-label" x="${PAD.left}" y="${HEIGHT - 6}">24 h ago</text>
      <text class="chart-label" x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end">now</text>
      <path class="chart-area" d="${path}" />
    </svg>
    <figcaption>${input.title}</figcaption>
  </figure>`;
}

/** A few labelled counts as horizontal bars, each with its figure. */
export function barChart(input: { title: string; bars: { label: string; value: number; tone: 'delivered' | 'waiting' | 'failed' }[] }): SafeHtml {
  const peak = Math.max(1, ...input.bars.map((bar) => bar.value));
  const row = 26;
  const labelWidth = 110;
  const barSpace = WIDTH - labelWidth - 70;
  const height = input.bars.length * row + 8;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${input.title}: ${input.bars.map((bar) => `${bar.label} ${bar.value}`).join(', ')}">
      ${input.bars.map((bar, i) => {
        const top = 4 + i * row;
        const width = Math.max(bar.value > 0 ? 2 : 0, (bar.value / peak) * barSpace);
        return html`<text class="chart-label" x="${labelWidth - 8}" y="${top + 15}" text-anchor="end">${bar.label}</text>
          <rect class="chart-bar chart-bar-${bar.tone}" x="${labelWidth}" y="${top}" width="${width.toFixed(1)}" height="${row - 8}" rx="3" />
          <text class="chart-value" x="${labelWidth + width + 6}" y="${top + 15}">${formatPoints(bar.value)}</text>`;
      })}
    </svg>
    <figcaption>${input.title}</figcaption>
  </figure>`;
}

/** A small chart for a contact card's account tile: narrow enough for a 360 px phone, scaled by the viewBox. */
const TILE = { width: 320, height: 120, top: 10, right: 10, bottom: 22 };
/** Width of one character of the tile's 13px labels, in viewBox units (generous, for digits and separators). */
const LABEL_CHAR = 8;

const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "Nov 2025" for '2025-11' (a month on the tenant's wall clock, so no zone may shift it); "Now" for the reading time. */
export function monthLabel(month: string): string {
  if (month === 'now') return 'Now';
  const [year, index] = month.split('-').map(Number);
  return monthFormat.format(new Date(Date.UTC(year!, index! - 1, 1)));
}

/** "Balance from 1,200 to 4,500 points over 12 months, now 3,100": what the chart shows, in words. */
export function balanceSummary(series: BalanceSeries): string {
  const span = `${series.months} month${series.months === 1 ? '' : 's'}`;
  const range =
    series.min === series.max
      ? `Balance steady at ${formatPoints(series.min)} points`
      : `Balance from ${formatPoints(series.min)} to ${formatPoints(series.max)} points`;
  return `${range} over ${span}, now ${formatPoints(series.now)}`;
}

/**
 * An account's balance at each month end and now, as a line through the
 * points, placed by time (the last step, to now, is part of a month). The
 * axis names the first month and now, the lowest and highest balance; the
 * SVG is an image titled with the summary in words, and the figures
 * themselves follow in a table inside <details>, for screen readers and
 * anyone who wants the numbers.
 */
export function balanceChart(input: { id: string; name: string; series: BalanceSeries }): SafeHtml {
  const { series } = input;
  const first = series.points[0]!;
  const last = series.points[series.points.length - 1]!;
  const left = Math.max(formatPoints(series.min).length, formatPoints(series.max).length) * LABEL_CHAR + 8;
  const span = Math.max(1, last.at.getTime() - first.at.getTime());
  const range = series.max - series.min;
  const x = (at: Date) => left + ((at.getTime() - first.at.getTime()) / span) * (TILE.width - left - TILE.right);
  // A balance that never moved is a flat line across the middle.
  const y = (balance: number) =>
    range === 0
      ? (TILE.top + TILE.height - TILE.bottom) / 2
      : TILE.height - TILE.bottom - ((balance - series.min) / range) * (TILE.height - TILE.top - TILE.bottom);
  const coordinates = series.points.map((point) => ({ point, cx: x(point.at).toFixed(1), cy: y(point.balance).toFixed(1) }));
  const line = coordinates.map((c, i) => `${i === 0 ? 'M' : 'L'}${c.cx} ${c.cy}`).join('');
  const top = y(series.max);
  const bottom = y(series.min);
  const summary = balanceSummary(series);
  return html`<figure class="chart chart-balance" data-testid="balance-chart">
    <svg viewBox="0 0 ${TILE.width} ${TILE.height}" role="img" aria-labelledby="${input.id}-title ${input.id}-desc">
      <title id="${input.id}-title">Balance of ${input.name}, last 12 months</title>
      <desc id="${input.id}-desc">${summary}</desc>
      <line class="chart-grid" x1="${left}" y1="${top.toFixed(1)}" x2="${TILE.width - TILE.right}" y2="${top.toFixed(1)}" />
      <line class="chart-axis" x1="${left}" y1="${bottom.toFixed(1)}" x2="${TILE.width - TILE.right}" y2="${bottom.toFixed(1)}" />
      <text class="chart-label" x="${left - 6}" y="${(top + 4).toFixed(1)}" text-anchor="end" data-testid="chart-max">${formatPoints(series.max)}</text>
      ${range === 0 ? '' : html`<text class="chart-label" x="${left - 6}" y="${(bottom + 4).toFixed(1)}" text-anchor="end" data-testid="chart-min">${formatPoints(series.min)}</text>`}
      <text class="chart-label" x="${left}" y="${TILE.height - 5}">${monthLabel(first.month)}</text>
      <text class="chart-label" x="${TILE.width - TILE.right}" y="${TILE.height - 5}" text-anchor="end">${monthLabel(last.month)}</text>
      <path class="chart-line" d="${line}" />
      ${coordinates.map((c) => html`<circle class="${c.point.month === 'now' ? 'chart-dot chart-dot-now' : 'chart-dot'}" cx="${c.cx}" cy="${c.cy}" r="${c.point.month === 'now' ? 3.5 : 2.5}" />`)}
    </svg>
    <figcaption>${summary}</figcaption>
    <details class="chart-figures">
      <summary>Balance at each month end</summary>
      <table class="chart-table">
        <caption class="visually-hidden">Balance of ${input.name} at the end of each month, oldest first, then now</caption>
        <thead><tr><th scope="col">Month end</th><th scope="col">Balance</th></tr></thead>
        <tbody>
          ${series.points.map(
            (point) => html`<tr data-month="${point.month}" data-balance="${point.balance}">
              <th scope="row">${monthLabel(point.month)}</th><td>${formatPoints(point.balance)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </details>
  </figure>`;
}
