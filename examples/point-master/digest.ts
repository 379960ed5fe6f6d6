// The master's side of the digest exchange: compares its books with the
// follower's by hashes of ranges of the contact id space, descends only into
// the ranges that differ, and reconciles just the accounts of those ranges
// (a Listed reconciliation). The hash is specified in docs/sync-assurance.md
// ("Comparing by digest"); this file is written from that specification alone.
import { createHash } from 'node:crypto';
import { type MasterBalance, type Reconciliation, type Drift, reconcile, type Traffic } from './reconcile.ts';

/** What the follower answers for one range: accounts with a non-zero balance in it, and the sum of their hashes. */
interface RangeDigest {
  prefix: string;
  count: number;
  hash: string;
}

const MOD = 1n << 64n;
/** The ranges one digest call may ask for, and the accounts one accounts call may answer (the follower's limits). */
const MAX_RANGES = 65_536;
const MAX_ACCOUNTS = 10_000;

/** The balance as the hash sees it: a decimal with exactly 4 digits after the point ("150.0000", "-3.5000"). */
export function balanceText(balance: number | string): string {
  if (typeof balance === 'string') {
    const match = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(balance);
    if (!match) throw new Error(`not a balance with at most 4 decimals: ${balance}`);
    return `${match[1]}${BigInt(match[2]!).toString()}.${(match[3] ?? '').padEnd(4, '0')}`;
  }
  return balance.toFixed(4);
}

/** One account's hash: the first 8 bytes of SHA-256 over "contactId|definitionId|balance", unsigned, big-endian. */
export function accountHash(contactId: string, definitionId: number, balance: number | string): bigint {
  const digest = createHash('sha256')
    .update(`${contactId.toLowerCase()}|${definitionId}|${balanceText(balance)}`, 'utf8')
    .digest();
  return digest.readBigUInt64BE(0);
}

/** A range's hash as the follower writes it: the sum modulo 2^64, 16 lowercase hex digits. */
export const rangeHashText = (sum: bigint) => (((sum % MOD) + MOD) % MOD).toString(16).padStart(16, '0');

/** The contact id's 32 hex digits, the space ranges are prefixes of. */
const hexOf = (contactId: string) => contactId.toLowerCase().replaceAll('-', '');

interface Indexed {
  line: MasterBalance;
  hex: string;
  hash: bigint;
}

/** The master's own digests of the ranges of length `length` below `prefixes`: only ranges holding an account. */
function ownDigests(
  indexed: readonly Indexed[],
  prefixes: ReadonlySet<string>,
  prefixLength: number,
  length: number,
): Map<string, { count: number; sum: bigint }> {
  const ranges = new Map<string, { count: number; sum: bigint }>();
  for (const account of indexed) {
    if (!prefixes.has(account.hex.slice(0, prefixLength))) continue;
    const range = account.hex.slice(0, length);
    const entry = ranges.get(range) ?? { count: 0, sum: 0n };
    entry.count += 1;
    entry.sum += account.hash;
    ranges.set(range, entry);
  }
  return ranges;
}

async function post<T>(follower: { url: string; apiKey: string }, path: string, body: unknown, traffic: Traffic): Promise<T> {
  const text = JSON.stringify(body);
  const response = await fetch(new URL(`/api/v2/point-accounts/${path}`, follower.url), {
    method: 'POST',
    headers: { apikey: follower.apiKey, 'content-type': 'application/json' },
    body: text,
    signal: AbortSignal.timeout(120_000),
  });
  const answer = await response.text();
  traffic.calls += 1;
  traffic.sent += Buffer.byteLength(text);
  traffic.received += Buffer.byteLength(answer);
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${answer}`);
  return JSON.parse(answer) as T;
}

/** Splits prefixes into calls that stay within `max` of what one call may carry. */
function inCalls<T>(items: readonly T[], perCall: number): T[][] {
  const calls: T[][] = [];
  for (let i = 0; i < items.length; i += perCall) calls.push(items.slice(i, i + perCall));
  return calls;
}

export interface DigestOptions {
  asOf: Date;
  /** Hex digits of the first call (16^firstDepth ranges over the whole space). */
  firstDepth?: number;
  /** Hex digits of each later call below a range that differs. */
  depth?: number;
  /** A differing range with at most this many accounts on either side is reconciled account by account instead of split again. */
  leafSize?: number;
}

export interface DigestFinding {
  /** The lines of the Listed reconciliation: every account either side holds in a differing leaf range, with the master's balance (0 when it has none). */
  lines: MasterBalance[];
  /** The differing leaf ranges. */
  ranges: string[];
  traffic: Traffic;
}

/**
 * Compares by digest and answers the accounts to reconcile. Descends level by
 * level: the ranges whose count or hash differ are split again until they are
 * small, then the follower names its accounts in them, so an account only the
 * follower holds is listed too (with the master's 0).
 */
async function findDifferingAccounts(
  follower: { url: string; apiKey: string },
  balances: readonly MasterBalance[],
  options: DigestOptions,
): Promise<DigestFinding> {
  const asOf = options.asOf.toISOString();
  const leafSize = options.leafSize ?? 32;
  const traffic: Traffic = { calls: 0, sent: 0, received: 0 };
  const indexed: Indexed[] = balances
    .filter((line) => Number(line.balance) !== 0)
    .map((line) => ({ line, hex: hexOf(line.contactId), hash: accountHash(line.contactId, line.definitionId, line.balance) }));

  const leaves: string[] = [];
  let prefixes = [''];
  let depth = options.firstDepth ?? 2;
  while (prefixes.length > 0) {
    const prefixLength = prefixes[0]!.length;
    const length = prefixLength + depth;
    const theirs = new Map<string, RangeDigest>();
    for (const chunk of inCalls(prefixes, MAX_RANGES / 16 ** depth)) {
      const answer = await post<{ ranges: RangeDigest[] }>(follower, 'digests', { asOf, prefixes: chunk, depth }, traffic);
      for (const range of answer.ranges) theirs.set(range.prefix, range);
    }
    const ours = ownDigests(indexed, new Set(prefixes), prefixLength, length);
    const next: string[] = [];
    for (const range of new Set([...theirs.keys(), ...ours.keys()])) {
      const mine = ours.get(range);
      const their = theirs.get(range);
      if (mine && their && mine.count === their.count && rangeHashText(mine.sum) === their.hash) continue;
      const size = Math.max(mine?.count ?? 0, their?.count ?? 0);
      (size <= leafSize || length >= 32 ? leaves : next).push(range);
    }
    prefixes = next.sort();
    depth = Math.min(options.depth ?? 1, 32 - (prefixes[0]?.length ?? 0));
  }

  // The follower's accounts in the leaf ranges, asked for by prefix length (one call carries prefixes of one length).
  const lines = new Map<string, MasterBalance>();
  const byLength = new Map<number, string[]>();
  for (const leaf of leaves) byLength.set(leaf.length, [...(byLength.get(leaf.length) ?? []), leaf]);
  for (const group of byLength.values()) {
    for (const chunk of inCalls(group.sort(), Math.floor(MAX_ACCOUNTS / (leafSize + 1)))) {
      const answer = await post<{ items: { contactId: string; definitionId: number }[] }>(follower, 'digests/accounts', { asOf, prefixes: chunk }, traffic);
      for (const item of answer.items)
        lines.set(`${item.contactId}/${item.definitionId}`, { contactId: item.contactId, definitionId: item.definitionId, balance: 0 });
    }
  }
  const leafSet = new Set(leaves);
  for (const account of indexed) {
    if ([...byLength.keys()].some((length) => leafSet.has(account.hex.slice(0, length)))) {
      lines.set(`${account.line.contactId.toLowerCase()}/${account.line.definitionId}`, account.line);
    }
  }
  return { lines: [...lines.values()], ranges: leaves.sort(), traffic };
}

/**
 * The whole exchange: find the differing accounts by digest, then reconcile
 * just those (scope Listed, repairing if asked). Answers the reconciliation,
 * its drifts and what crossed the wire.
 */
export async function reconcileByDigest(
  follower: { url: string; apiKey: string },
  balances: readonly MasterBalance[],
  options: DigestOptions & { repair: boolean },
): Promise<{ reconciliation: Reconciliation | null; drifts: Drift[]; finding: DigestFinding; traffic: Traffic }> {
  const finding = await findDifferingAccounts(follower, balances, options);
  const traffic = { ...finding.traffic };
  if (finding.lines.length === 0) return { reconciliation: null, drifts: [], finding, traffic };
  const report = await reconcile(follower, finding.lines, { asOf: options.asOf, scope: 'Listed', repair: options.repair, traffic });
  return { ...report, finding, traffic };
}
