import { AMOUNT_DECIMALS, AMOUNT_RANGE, subtractFigures } from './amounts.ts';
import type { SyncGap } from './sync.ts';

/**
 * Reconciliation: the master states its balances as of a time, the follower
 * compares them with its own as of that time and reports each account that
 * disagrees (DESIGN 2.6). The rules that need no database live here.
 */
export const RECONCILIATION_SCOPES = ['Listed', 'Full'] as const;
export type ReconciliationScope = (typeof RECONCILIATION_SCOPES)[number];

export const RECONCILIATION_STATUSES = ['Open', 'Comparing', 'Completed', 'Failed'] as const;
type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

/**
 * - BalanceDiffers: both sides hold the account as of asOf, with other balances;
 * - MissingInFollower: the master lists a non-zero balance, the follower held nothing for the account by asOf;
 * - UnknownToMaster (scope Full only): the follower holds a non-zero balance the master did not list.
 */
export const DRIFT_KINDS = ['BalanceDiffers', 'MissingInFollower', 'UnknownToMaster'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** What one compare job did: the drifted accounts by kind and how many it repaired, or nothing when the reconciliation was already final. */
export type CompareResult = { drifted: Record<DriftKind, number>; repaired: number } | 'already-final';

export interface ReconciliationRecord {
  id: string;
  tenantId: string;
  asOf: Date;
  scope: ReconciliationScope;
  repair: boolean;
  status: ReconciliationStatus;
  listed: number;
  compared: number;
  matched: number;
  drifted: number;
  byKind: Record<DriftKind, number>;
  repaired: number;
  /**
   * The tenant's sequence gaps when the compare ran (the first ones), how many
   * sequences they hold, and the highest sequence applied: rows a drift may
   * stand for, which a repair then stands in for.
   */
  sequences: { gaps: SyncGap[]; missing: number; highest: number };
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface DriftRecord {
  contactId: string;
  definitionId: number;
  accountId: number | null;
  masterBalance: number;
  followerBalance: number;
  difference: number;
  kind: DriftKind;
}

/** What one compare found, before any repair. */
export interface CompareOutcome {
  listed: number;
  compared: number;
  byKind: Record<DriftKind, number>;
}

export interface ReconciliationLine {
  contactId: string;
  definitionId: number;
  balance: number;
}

/**
 * The lines of one upload call, one per account: an account listed twice in
 * the same call keeps its later line, as a later call's line replaces an
 * earlier call's. Sorted by (contact, definition) so concurrent uploads to
 * one reconciliation lock their rows in one order.
 */
export function latestLinePerAccount(lines: readonly ReconciliationLine[]): ReconciliationLine[] {
  const byAccount = new Map<string, ReconciliationLine>();
  for (const line of lines) byAccount.set(`${line.contactId}/${line.definitionId}`, line);
  return [...byAccount.values()].sort((a, b) => (a.contactId < b.contactId ? -1 : a.contactId > b.contactId ? 1 : a.definitionId - b.definitionId));
}

/** An item's field that the follower refused, with where it is (`[3].definitionId`). */
interface ItemError {
  path: string;
  message: string;
}

/**
 * The refusals of one upload call in one list: by item, and within an item in
 * the order of `fields`, so an unknown definition is listed beside the same
 * item's malformed fields instead of in a second round.
 */
export function inItemOrder<E extends ItemError>(errors: readonly E[], fields: readonly string[]): E[] {
  const position = (error: E) => {
    const match = /^\[(\d+)\]\.?(.*)$/.exec(error.path);
    const field = fields.indexOf(match?.[2] ?? '');
    return [match ? Number(match[1]) : -1, field === -1 ? fields.length : field] as const;
  };
  return errors
    .map((error, order) => ({ error, order, at: position(error) }))
    .sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1] || a.order - b.order)
    .map(({ error }) => error);
}

/** The refusal of each line whose definition the tenant does not have. */
export const unknownDefinitionErrors = (lines: readonly { index: number; definitionId: number }[], known: ReadonlySet<number>): ItemError[] =>
  lines.flatMap((line) =>
    known.has(line.definitionId) ? [] : [{ path: `[${line.index}].definitionId`, message: `unknown definitionId ${line.definitionId}` }],
  );

/** The description of the ledger entry (all-transaction mode) that repairs one drifted account. */
export const repairDescription = (reconciliationId: string) => `Reconciliation ${reconciliationId}: brought to the master's balance`;

/** A repair's entry is an amount like any row's: a difference outside that range is left undone and counted as such. */
export const REPAIRABLE = AMOUNT_RANGE;

/**
 * How many drifted accounts a reconciliation left as they were: all of them
 * when it only compared, those out of the repairable range when it repaired.
 * Zero until it has completed.
 */
export const unrepairedDrifts = (r: Pick<ReconciliationRecord, 'status' | 'drifted' | 'repair' | 'repaired'>): number =>
  r.status === 'Completed' ? Math.max(0, r.drifted - (r.repair ? r.repaired : 0)) : 0;

/**
 * What a reconciliation's outcome means for an operator: "matched" and
 * "repaired" are healthy; "drifted" (completed with accounts left differing)
 * and "failed" ask for a person; "open" and "comparing" are under way.
 */
export type ReconciliationOutcome = 'open' | 'comparing' | 'matched' | 'repaired' | 'drifted' | 'followed' | 'failed';

/**
 * `followed`: a later reconciliation of the same tenant has completed. A
 * drifted one is then history ("followed"), no longer a call for a person:
 * the tenant is judged by its latest completed reconciliation (attention.ts).
 */
export function reconciliationOutcome(r: Pick<ReconciliationRecord, 'status' | 'drifted' | 'repair' | 'repaired'>, followed = false): ReconciliationOutcome {
  if (r.status === 'Open') return 'open';
  if (r.status === 'Comparing') return 'comparing';
  if (r.status === 'Failed') return 'failed';
  if (unrepairedDrifts(r) > 0) return followed ? 'followed' : 'drifted';
  return r.drifted > 0 ? 'repaired' : 'matched';
}

/** Of reconciliations listed newest first, those a later completed reconciliation of the same tenant followed. */
export function followedByLater(newestFirst: readonly Pick<ReconciliationRecord, 'id' | 'tenantId' | 'status'>[]): Set<string> {
  const completedSeen = new Set<string>();
  const followed = new Set<string>();
  for (const r of newestFirst) {
    if (completedSeen.has(r.tenantId)) followed.add(r.id);
    if (r.status === 'Completed') completedSeen.add(r.tenantId);
  }
  return followed;
}

/**
 * A drift the card still shows: the follower's balance as of the
 * reconciliation's asOf, read again now, still differs from the master's
 * figure. A repair, or late rows that fill what was missing, make it match,
 * and the note goes.
 */
export const driftStands = (drift: Pick<DriftRecord, 'masterBalance'>, followerAsOfNow: number): boolean =>
  Math.abs(drift.masterBalance - followerAsOfNow) >= 0.5 / 10 ** AMOUNT_DECIMALS;

/** The lines of a repair reconciliation: each drifted account at the master's figure (zero for an account the master did not list). */
export const repairLines = (drifts: readonly Pick<DriftRecord, 'contactId' | 'definitionId' | 'masterBalance'>[]): ReconciliationLine[] =>
  drifts.map((d) => ({ contactId: d.contactId, definitionId: d.definitionId, balance: d.masterBalance }));

/**
 * A repair stands in for rows the follower lacked at its asOf: it holds the
 * account's balance as of asOf at the master's figure (`target`). When rows
 * it stood in for arrive later (or an earlier-dated repair is written), the
 * balance as of asOf without this repair (`without`) moves, and the repair
 * counts only what is still missing: target - without, of the repair's own
 * sign and never past zero (a repair that added points never takes any).
 * Answers what the repair now counts; its `amount` (the difference found)
 * stays as written, and amount - counts is what later rows took over.
 */
export function repairCounts(repair: { amount: number; target: number }, without: number): number {
  const missing = subtractFigures(repair.target, without);
  return repair.amount > 0 ? Math.max(0, missing) : Math.min(0, missing);
}

/** At most this many transactions are named in one offset entry's description. */
const NAMED_CAUSES = 5;

/**
 * The description of the entry that records a change of what a repair counts:
 * it names the repair, its reconciliation, and why: transactions (by id) that
 * arrived, a repair of an earlier asOf written after it, or one that was
 * offset and so moved the balance as of this repair's asOf.
 */
export function offsetDescription(
  repair: { entryId: number; reconciliationId: string },
  cause: { transactions: readonly number[] } | { repair: number; how: 'written' | 'offset' },
): string {
  let what: string;
  if ('repair' in cause) {
    what = `repair ${cause.repair}, dated earlier, ${cause.how === 'written' ? 'was written after it' : 'was offset'}`;
  } else {
    const named = cause.transactions.slice(0, NAMED_CAUSES).join(', ');
    const more = cause.transactions.length > NAMED_CAUSES ? ` and ${cause.transactions.length - NAMED_CAUSES} more` : '';
    what = `transaction${cause.transactions.length === 1 ? '' : 's'} ${named}${more} arrived after it, dated at or before its asOf`;
  }
  return `Offsets repair ${repair.entryId} (reconciliation ${repair.reconciliationId}): ${what}`;
}
