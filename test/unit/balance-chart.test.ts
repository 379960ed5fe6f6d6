import { describe, expect, it } from 'vitest';
import { balanceSeries, type MonthEndBalance } from '../../src/domain/balance-chart.ts';
import { balanceChart, balanceSummary, monthLabel } from '../../src/ui/charts.ts';

const NOW = { at: new Date('2026-06-15T12:00:00Z'), balance: 3100 };

/** Month ends of June 2025 to May 2026 (UTC), with these balances in order; null where the account did not exist. */
const monthEnds = (balances: (number | null)[]): MonthEndBalance[] =>
  balances.map((balance, i) => ({
    accountId: 7,
    month: `${2025 + Math.floor((5 + i) / 12)}-${String(((5 + i) % 12) + 1).padStart(2, '0')}`,
    at: new Date(Date.UTC(2025, 6 + i, 1) - 1),
    balance,
  }));

describe('balance series', () => {
  it('keeps the month ends where the account existed, oldest first, then now; the range includes now', () => {
    const rows = monthEnds([null, null, null, 1200, 1200, 1500, 1500, 1500, 1800, 900, 1700, 1700]);
    const series = balanceSeries([...rows].reverse(), NOW)!;
    expect(series.points.map((p) => p.month)).toEqual([
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      'now',
    ]);
    expect(series.points.at(-1)).toEqual({ month: 'now', at: NOW.at, balance: 3100 });
    expect(series).toMatchObject({ months: 9, min: 900, max: 3100, now: 3100 });
  });

  it('is null without a month end behind the account, whatever the balance now', () => {
    expect(balanceSeries(monthEnds(Array(12).fill(null)), NOW)).toBeNull();
    expect(balanceSeries([], NOW)).toBeNull();
  });

  it('counts a zero balance as a point, and a negative one as the low end', () => {
    const series = balanceSeries(monthEnds([...Array(10).fill(null), 0, -40]), { at: NOW.at, balance: 25 })!;
    expect(series).toMatchObject({ months: 2, min: -40, max: 25, now: 25 });
  });
});

describe('balance chart', () => {
  it('says the range in words, with the month count and the balance now', () => {
    const series = balanceSeries(monthEnds([1200, 4500, ...Array(10).fill(3000)]), NOW)!;
    expect(balanceSummary(series)).toBe('Balance from 1,200 to 4,500 points over 12 months, now 3,100');
    const flat = balanceSeries(monthEnds([...Array(11).fill(null), 500]), { at: NOW.at, balance: 500 })!;
    expect(balanceSummary(flat)).toBe('Balance steady at 500 points over 1 month, now 500');
  });

  it('names months without shifting them by a zone, and now', () => {
    expect(monthLabel('2026-01')).toBe('Jan 2026');
    expect(monthLabel('2025-12')).toBe('Dec 2025');
    expect(monthLabel('now')).toBe('Now');
  });

  it('draws one dot per point inside the picture, labels the extremes, and escapes the definition name', () => {
    const series = balanceSeries(monthEnds([null, null, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]), NOW)!;
    const out = balanceChart({ id: 'balance-chart-1', name: '<b>Bonus</b>', series }).toString();
    const dots = [...out.matchAll(/<circle class="[^"]+" cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(dots).toHaveLength(11);
    for (const [cx, cy] of dots) {
      expect(cx).toBeGreaterThanOrEqual(0);
      expect(cx).toBeLessThanOrEqual(320);
      expect(cy).toBeGreaterThanOrEqual(0);
      expect(cy).toBeLessThanOrEqual(120);
    }
    // Placed by time from left to right; the highest balance (now) at the top.
    expect(dots.map(([cx]) => cx)).toEqual([...dots.map(([cx]) => cx)].sort((a, b) => a! - b!));
    expect(Math.min(...dots.map(([, cy]) => cy!))).toBe(dots.at(-1)![1]);
    expect(out).toContain('data-testid="chart-max">3,100</text>');
    expect(out).toContain('data-testid="chart-min">10</text>');
    expect(out).toContain('Balance of &lt;b&gt;Bonus&lt;/b&gt;, last 12 months');
    expect(out).not.toContain('<b>Bonus</b>');
    expect(out).toContain('<tr data-month="now" data-balance="3100">');
  });

  it('draws a balance that never moved as a flat line with one value on the axis', () => {
    const series = balanceSeries(monthEnds([...Array(9).fill(null), 500, 500, 500]), { at: NOW.at, balance: 500 })!;
    const out = balanceChart({ id: 'c', name: 'Points', series }).toString();
    const heights = new Set([...out.matchAll(/<circle [^>]*cy="([\d.]+)"/g)].map((m) => m[1]));
    expect(heights.size).toBe(1);
    expect(out).not.toContain('data-testid="chart-min"');
  });
});
