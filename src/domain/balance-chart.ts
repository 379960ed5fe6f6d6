/**
 * An account's balance over the last twelve months, as the contact card
 * charts it: the balance at the end of each of the twelve calendar months
 * before the current one (in the tenant's time zone), then the balance now.
 * A month end before the account existed has no point (not a zero).
 */
export interface MonthEndBalance {
  accountId: number;
  /** The calendar month, 'YYYY-MM', on the tenant's wall clock. */
  month: string;
  /** The last instant of the month. */
  at: Date;
  /** Null: the account did not exist yet at the end of this month. */
  balance: number | null;
}

interface BalancePoint {
  /** 'YYYY-MM' for a month end, 'now' for the balance at reading time. */
  month: string;
  at: Date;
  balance: number;
}

export interface BalanceSeries {
  /** Oldest first, the month ends where the account existed, then now. */
  points: BalancePoint[];
  /** How many month ends have a point (0 to 12): the chart spans that many months. */
  months: number;
  min: number;
  max: number;
  now: number;
}

/**
 * The series of one account from its month-end rows and the balance the card
 * shows now (the last point, so the chart ends where the tile's figure is).
 * Null when no month end has a balance: a line needs a past to be drawn
 * from, and the card says so in words instead.
 */
export function balanceSeries(rows: readonly MonthEndBalance[], now: { at: Date; balance: number }): BalanceSeries | null {
  const past = rows
    .filter((row): row is MonthEndBalance & { balance: number } => row.balance !== null)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((row) => ({ month: row.month, at: row.at, balance: row.balance }));
  if (past.length === 0) return null;
  const points = [...past, { month: 'now', at: now.at, balance: now.balance }];
  const balances = points.map((point) => point.balance);
  return { points, months: past.length, min: Math.min(...balances), max: Math.max(...balances), now: now.balance };
}
