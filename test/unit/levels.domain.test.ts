import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonthsUtc,
  contribution,
  type Ladder,
  ladderProblems,
  type LevelEntry,
  levelChangedPayload,
  memberLevel,
  startOfYear,
  windowAt,
} from '../../src/domain/levels.ts';

const at = (iso: string) => new Date(iso);
const levels = [
  { key: 'member', name: 'Member', threshold: 0 },
  { key: 'silver', name: 'Silver', threshold: 100 },
  { key: 'gold', name: 'Gold', threshold: 500 },
];
const ladder = (overrides: Partial<Ladder> = {}): Ladder => ({
  definitionId: 1,
  basis: 'PointsEarned',
  window: { type: 'Rolling', months: 12 },
  levels,
  announce: false,
  ...overrides,
});
const purchase = (amount: number, date: string, source = 'Purchase'): LevelEntry => ({
  type: amount > 0 ? 'Addition' : 'Deduction',
  amount,
  source,
  transactionDate: at(date),
});

describe('member level rule', () => {
  it('counts positive Additions except Reconciliation and OpeningBalance; returns and expiries do not lower points earned', () => {
    const entries = [
      purchase(80, '2030-03-01T00:00:00Z'),
      purchase(30, '2030-03-02T00:00:00Z', 'Automation'),
      purchase(1000, '2030-03-03T00:00:00Z', 'Reconciliation'),
      purchase(1000, '2030-03-03T00:00:00Z', 'OpeningBalance'),
      purchase(-60, '2030-03-04T00:00:00Z', 'Return'),
      { type: 'Expiry' as const, amount: -80, source: 'Expiry', transactionDate: at('2030-03-05T00:00:00Z') },
    ];
    const found = memberLevel(entries, ladder(), at('2030-04-01T00:00:00Z'), 'UTC');
    expect(found.qualifying).toBe(110);
    expect(found.level.key).toBe('silver');
    expect(found.next).toEqual({ key: 'gold', name: 'Gold', threshold: 500, remaining: 390 });
  });

  it('counts purchases minus returns, whatever their amounts, and never goes below the first level', () => {
    const entries = [purchase(10, '2030-03-01T00:00:00Z'), purchase(-10, '2030-03-02T00:00:00Z', 'Return'), purchase(-5, '2030-03-03T00:00:00Z', 'Return')];
    expect(contribution('Purchases', entries[1]!)).toBe(-1);
    const found = memberLevel(
      entries,
      ladder({ basis: 'Purchases', levels: [levels[0]!, { key: 'vip', name: 'VIP', threshold: 2 }] }),
      at('2030-04-01T00:00:00Z'),
      'UTC',
    );
    expect(found).toMatchObject({ qualifying: -1, level: { key: 'member' }, next: { key: 'vip', remaining: 3 } });
  });

  it('meets a threshold exactly, and has no next level at the top', () => {
    expect(memberLevel([purchase(100, '2030-03-01T00:00:00Z')], ladder(), at('2030-03-01T00:00:00Z'), 'UTC').level.key).toBe('silver');
    expect(memberLevel([purchase(99, '2030-03-01T00:00:00Z')], ladder(), at('2030-03-01T00:00:00Z'), 'UTC').level.key).toBe('member');
    expect(memberLevel([purchase(500, '2030-03-01T00:00:00Z')], ladder(), at('2030-03-02T00:00:00Z'), 'UTC').next).toBeNull();
  });

  it('a rolling window keeps an entry from its date up to the same time N months later, and drops it after', () => {
    const entries = [purchase(100, '2030-01-15T10:00:00.000Z')];
    expect(memberLevel(entries, ladder(), at('2031-01-15T10:00:00.000Z'), 'UTC').level.key).toBe('silver');
    expect(memberLevel(entries, ladder(), at('2031-01-15T10:00:00.001Z'), 'UTC').level.key).toBe('member');
    // An entry dated after the reading time does not count yet.
    expect(memberLevel(entries, ladder(), at('2030-01-15T09:59:59.999Z'), 'UTC').level.key).toBe('member');
  });

  it('moves months back in UTC with the day clamped to the month', () => {
    expect(addMonthsUtc(at('2030-03-31T12:00:00Z'), -1).toISOString()).toBe('2030-02-28T12:00:00.000Z');
    expect(addMonthsUtc(at('2032-03-31T12:00:00Z'), -1).toISOString()).toBe('2032-02-29T12:00:00.000Z');
    expect(addMonthsUtc(at('2030-01-31T00:00:00Z'), -13).toISOString()).toBe('2028-12-31T00:00:00.000Z');
  });

  it("a calendar year begins on 1 January in the tenant's time zone", () => {
    expect(startOfYear(2031, 'UTC').toISOString()).toBe('2031-01-01T00:00:00.000Z');
    expect(startOfYear(2031, 'Europe/Stockholm').toISOString()).toBe('2030-12-31T23:00:00.000Z');
    expect(startOfYear(2031, 'America/New_York').toISOString()).toBe('2031-01-01T05:00:00.000Z');
    const span = windowAt({ type: 'CalendarYear' }, at('2030-12-31T23:30:00Z'), 'Europe/Stockholm');
    expect(span.from.toISOString()).toBe('2030-12-31T23:00:00.000Z');
    expect(span.to.toISOString()).toBe('2031-12-31T23:00:00.000Z');
    expect(windowAt({ type: 'CalendarYear' }, at('2030-12-31T23:30:00Z'), 'UTC').from.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('refuses ladders that do not start at 0, do not rise, or repeat a key, naming the field', () => {
    expect(ladderProblems([{ key: 'a', name: 'A', threshold: 5 }])).toEqual([
      { path: ['levels', 0, 'threshold'], message: expect.stringContaining('must be 0') },
    ]);
    expect(
      ladderProblems([
        { key: 'a', name: 'A', threshold: 0 },
        { key: 'b', name: 'B', threshold: 10 },
        { key: 'a', name: 'C', threshold: 10 },
      ]),
    ).toEqual([
      { path: ['levels', 2, 'threshold'], message: expect.stringContaining('greater than') },
      { path: ['levels', 2, 'key'], message: 'duplicates key a' },
    ]);
  });

  it('the levelChanged payload carries the PascalCase fields', () => {
    expect(levelChangedPayload({ contactId: 'c', fromKey: 'member', toKey: 'silver', changedAt: at('2030-01-01T00:00:00Z'), reason: 'Transactions' })).toEqual({
      ContactId: 'c',
      FromLevel: 'member',
      ToLevel: 'silver',
      ChangedAt: '2030-01-01T00:00:00.000Z',
      Reason: 'Transactions',
    });
  });
});

// ---- The model: the rule written out the plain way, sharing no code with src/domain/levels.ts.

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number) => (month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS[month]!);

function modelRollingFrom(t: Date, months: number): number {
  let year = t.getUTCFullYear();
  let month = t.getUTCMonth() - months;
  while (month < 0) {
    month += 12;
    year -= 1;
  }
  const day = Math.min(t.getUTCDate(), daysIn(year, month));
  return Date.UTC(year, month, day, t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCMilliseconds());
}

const localYear = (ms: number, zone: string) => Number(new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric' }).format(new Date(ms)));

/** The first millisecond whose local year is that of `t`, found by bisection. */
function modelYearStart(t: Date, zone: string): number {
  const year = localYear(t.getTime(), zone);
  let lo = t.getTime() - 370 * 86_400_000; // certainly in an earlier year
  let hi = t.getTime(); // in the year
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localYear(mid, zone) === year) hi = mid;
    else lo = mid;
  }
  return hi;
}

function modelLevel(entries: LevelEntry[], l: Ladder, t: Date, zone: string): { key: string; qualifying: number } {
  const from = l.window.type === 'Rolling' ? modelRollingFrom(t, l.window.months) : modelYearStart(t, zone);
  let qualifying = 0;
  for (const e of entries) {
    const ms = e.transactionDate.getTime();
    if (ms < from || ms > t.getTime()) continue;
    if (l.basis === 'Purchases') {
      if (e.source === 'Purchase') qualifying += 1;
      if (e.source === 'Return') qualifying -= 1;
    } else if (e.type === 'Addition' && e.amount > 0 && e.source !== 'Reconciliation' && e.source !== 'OpeningBalance') {
      qualifying += e.amount;
    }
  }
  let key = l.levels[0]!.key;
  for (const level of l.levels) if (level.threshold <= qualifying) key = level.key;
  return { key, qualifying };
}

const ZONES = ['UTC', 'Europe/Stockholm', 'America/New_York', 'Pacific/Auckland', 'Asia/Kolkata'];
const SOURCES = ['Purchase', 'Return', 'Automation', 'Reconciliation', 'OpeningBalance', 'Manual'];
const T_MIN = Date.UTC(2028, 0, 1);
const T_MAX = Date.UTC(2033, 0, 1);

const windowArb = fc.oneof(
  fc.integer({ min: 1, max: 24 }).map((months) => ({ type: 'Rolling' as const, months })),
  fc.constant({ type: 'CalendarYear' as const }),
);
const stepsArb = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 0, maxLength: 4 });

describe('member level rule against the model', () => {
  it('agrees for random ledgers, ladders, reading times and time zones, entries at the window edges included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: T_MIN, max: T_MAX }),
        windowArb,
        fc.constantFrom<Ladder['basis']>('PointsEarned', 'Purchases'),
        stepsArb,
        fc.constantFrom(...ZONES),
        fc.array(
          fc.record({
            where: fc.constantFrom('from', 'before-from', 'at', 'after-at', 'anywhere'),
            offset: fc.integer({ min: -800 * 86_400_000, max: 10 * 86_400_000 }),
            amount: fc.integer({ min: -50, max: 50 }).filter((n) => n !== 0),
            source: fc.constantFrom(...SOURCES),
          }),
          { maxLength: 30 },
        ),
        fc.boolean(),
        (time, window, basis, steps, zone, specs, thresholdOnFigure) => {
          const t = new Date(time);
          const draft: Ladder = { definitionId: 1, basis, window, levels: [], announce: false };
          const from = window.type === 'Rolling' ? modelRollingFrom(t, window.months) : modelYearStart(t, zone);
          const dateOf = (where: string, offset: number) =>
            where === 'from' ? from : where === 'before-from' ? from - 1 : where === 'at' ? time : where === 'after-at' ? time + 1 : time + offset;
          const entries: LevelEntry[] = specs.map((s) => ({
            type: s.amount > 0 ? 'Addition' : 'Deduction',
            amount: s.amount,
            source: s.source,
            transactionDate: new Date(dateOf(s.where, s.offset)),
          }));
          // A ladder with random steps, or one with a threshold exactly on the contact's figure.
          let thresholds = [0];
          for (const step of steps) thresholds.push(thresholds.at(-1)! + step);
          if (thresholdOnFigure) {
            const figure = modelLevel(entries, { ...draft, levels: [{ key: 'l0', name: 'L0', threshold: 0 }] }, t, zone).qualifying;
            if (figure > 0) thresholds = [0, figure, figure + 1];
          }
          const l = { ...draft, levels: thresholds.map((threshold, i) => ({ key: `l${i}`, name: `L${i}`, threshold })) };
          const expected = modelLevel(entries, l, t, zone);
          const found = memberLevel(entries, l, t, zone);
          expect(found.window.from.getTime()).toBe(from);
          expect({ key: found.level.key, qualifying: found.qualifying }).toEqual(expected);
          if (found.next) expect(found.next.remaining).toBe(found.next.threshold - found.qualifying);
        },
      ),
      { numRuns: 300 },
    );
  });
});
