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
