/**
 * An independent model of the ledger rule (DESIGN 2.2), for the property
 * tests: plain, slow and exact. Amounts are bigint ten-thousandths of a point.
 * It walks instant by instant and sorts the lots afresh at each use, where the
 * service (SQL function ledger_walk) keeps one ordered list and a checkpoint.
 *
 * At each instant: lots whose validTo has come lose what is left of them (when
 * the follower owns expiry), then lots whose validFrom has come turn active
 * and pay what is owed, then deductions dated then use up active lots,
 * soonest validTo first (never-expiring last), then earliest validFrom, then
 * ledger order; what they cannot cover is owed.
 *
 * A reconciliation's repair that rows arriving later took over in part counts
 * only what is left of it: a repair of +50 of which 30 were netted is a lot of
 * 20 from its validFrom (not a lot of 50 and a deduction of 30, which would use
 * up the soonest-expiring lot instead), and one netted whole counts nothing.
 */
export interface ModelRow {
  /** Ledger order. */
  id: number;
  amount: bigint;
  validFrom: number;
  validTo: number | null;
  /** On a repair: the part of `amount` that later rows took over. */
  netted?: bigint;
}

/** What a row counts for: its amount, less what was netted off a repair. */
const counted = (row: ModelRow): ModelRow => (row.netted === undefined ? row : { ...row, amount: row.amount - row.netted });

export interface ModelFigures {
  balance: bigint;
  pendingPoints: bigint;
  balanceExpires: number | null;
  expiresAmount: bigint;
  /** What is left of active lots expiring within 30, 60 and 90 days. */
  within: [bigint, bigint, bigint];
}

export interface ModelExpiry {
  lot: number;
  at: number;
  amount: bigint;
}

interface Lot {
  row: ModelRow;
  left: bigint;
  active: boolean;
  expired: boolean;
}

const DAY = 86_400_000;

const useOrder = (a: Lot, b: Lot) => (a.row.validTo ?? Infinity) - (b.row.validTo ?? Infinity) || a.row.validFrom - b.row.validFrom || a.row.id - b.row.id;

/** The state of an account after every event at or before `until`. */
function walk(ledger: readonly ModelRow[], until: number, followerExpires: boolean) {
  const rows = ledger.map(counted).filter((row) => row.amount !== 0n);
  const lots: Lot[] = rows.filter((row) => row.amount > 0n).map((row) => ({ row, left: row.amount, active: false, expired: false }));
  const deductions = rows.filter((row) => row.amount < 0n);
  const instants = new Set<number>();
  for (const row of rows) {
    if (row.validFrom <= until) instants.add(row.validFrom);
    if (followerExpires && row.amount > 0n && row.validTo !== null && row.validTo <= until) instants.add(row.validTo);
  }
  let owed = 0n;
  const expiries: ModelExpiry[] = [];
  for (const instant of [...instants].sort((a, b) => a - b)) {
    if (followerExpires) {
      for (const lot of lots) {
        if (lot.active && !lot.expired && lot.row.validTo !== null && lot.row.validTo <= instant) {
          lot.expired = true;
          if (lot.left > 0n) expiries.push({ lot: lot.row.id, at: lot.row.validTo, amount: lot.left });
          lot.left = 0n;
        }
      }
    }
    for (const lot of lots.filter((l) => l.row.validFrom === instant).sort(useOrder)) {
      lot.active = true;
      const pay = owed < lot.left ? owed : lot.left;
      lot.left -= pay;
      owed -= pay;
    }
    for (const deduction of deductions.filter((d) => d.validFrom === instant)) {
      let need = -deduction.amount;
      for (const lot of lots.filter((l) => l.active && !l.expired && l.left > 0n).sort(useOrder)) {
        if (need === 0n) break;
        const take = need < lot.left ? need : lot.left;
        lot.left -= take;
        need -= take;
      }
      owed += need;
    }
  }
  return { lots, owed, expiries };
}

/** An account's figures at `at`. */
export function figuresAt(rows: readonly ModelRow[], at: number, followerExpires: boolean): ModelFigures {
  const { lots, owed } = walk(rows, at, followerExpires);
  const open = lots.filter((lot) => lot.active && !lot.expired && lot.left > 0n);
  const balance = open.reduce((sum, lot) => sum + lot.left, 0n) - owed;
  const pendingPoints = lots.filter((lot) => !lot.active).reduce((sum, lot) => sum + lot.row.amount, 0n);
  const upcoming = open.filter((lot) => lot.row.validTo !== null && lot.row.validTo > at);
  const balanceExpires = upcoming.length === 0 ? null : Math.min(...upcoming.map((lot) => lot.row.validTo!));
  const sumWithin = (pred: (validTo: number) => boolean) => upcoming.filter((lot) => pred(lot.row.validTo!)).reduce((sum, lot) => sum + lot.left, 0n);
  return {
    balance,
    pendingPoints,
    balanceExpires,
    expiresAmount: sumWithin((validTo) => validTo === balanceExpires),
    within: [30, 60, 90].map((days) => sumWithin((validTo) => validTo <= at + days * DAY)) as [bigint, bigint, bigint],
  };
}

/** What expired by `until` (follower-owned expiry), one item per lot with something left at its validTo. */
export function expiriesBy(rows: readonly ModelRow[], until: number): ModelExpiry[] {
  return walk(rows, until, true).expiries;
}

/** Points as ten-thousandths, from a JS number with at most 4 decimals. */
export const units = (points: number): bigint => BigInt(Math.round(points * 10_000));
