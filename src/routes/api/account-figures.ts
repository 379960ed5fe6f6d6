import type { PointAccountRecord } from '../../domain/ledger.ts';

/** An account's figures as v2 and v3 answer them. */
export const accountFigures = (account: PointAccountRecord) => ({
  balance: account.balance,
  pendingPoints: account.pendingPoints,
  // Left out rather than null: Engage's models make every field optional and none nullable.
  balanceExpires: account.balanceExpires?.toISOString(),
  // Extensions, left out when nothing expires that soon.
  expiringWithin30Days: account.expiringWithin30Days || undefined,
  expiringWithin60Days: account.expiringWithin60Days || undefined,
  expiringWithin90Days: account.expiringWithin90Days || undefined,
});
