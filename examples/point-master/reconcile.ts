// The master's side of a reconciliation: states its balances as of a moment,
// lets the follower compare, and prints what drifted.
//
//   npm run -s example:reconcile -- --follower-api-key pf_... --balances balances.json [--as-of ISO] [--scope Full] [--repair] [--json]
//
// `balances.json` is the master's export of its books: a JSON array of
// {contactId, definitionId, balance}, all as of --as-of (default: now).
// FOLLOWER_URL and FOLLOWER_API_KEY may come from the environment instead.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface MasterBalance {
  contactId: string;
  definitionId: number;
  balance: number;
}

/** What crossed the wire: calls made, and the bytes of their bodies each way. */
export interface Traffic {
  calls: number;
  sent: number;
  received: number;
}

export interface ReconcileOptions {
  asOf: Date;
  scope: 'Listed' | 'Full';
  repair: boolean;
  /** How often to ask whether the compare is done. */
  pollMs?: number;
  /** Counts the calls and their bytes here when given. */
  traffic?: Traffic;
}

/** The follower's answer for a reconciliation (the fields the report prints). */
export interface Reconciliation {
  id: string;
  asOf: string;
  scope: 'Listed' | 'Full';
  repair: boolean;
  status: 'Open' | 'Comparing' | 'Completed' | 'Failed';
  listed: number;
  compared: number;
  matched: number;
  drifted: number;
  repaired: number;
  /** Rows the follower knows it has not received (by sequence), when any were missing. */
  missingSequences?: { count: number; highestSequence: number; gaps: { from: number; to: number; since: string }[] };
  error?: string;
}

export interface Drift {
  contactId: string;
  definitionId: number;
  masterBalance: number;
  followerBalance: number;
  difference: number;
  kind: string;
}

/** The follower takes up to 1000 accounts per call. */
const CALL = 1000;

async function call<T>(follower: { url: string; apiKey: string }, method: 'GET' | 'POST', path: string, body?: unknown, traffic?: Traffic): Promise<T> {
  const sent = body === undefined ? undefined : JSON.stringify(body);
  const response = await fetch(new URL(`/api/v2/point-accounts/reconciliations${path}`, follower.url), {
    method,
    headers: { apikey: follower.apiKey, ...(sent === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(sent === undefined ? {} : { body: sent }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (traffic) {
    traffic.calls += 1;
    traffic.sent += Buffer.byteLength(sent ?? '');
    traffic.received += Buffer.byteLength(text);
  }
  if (!response.ok) throw new Error(`${method} ${path || '/'} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Opens a reconciliation, uploads the balances in calls of 1000, completes it,
 * waits for the compare and answers the reconciliation with every drift.
 */
export async function reconcile(
  follower: { url: string; apiKey: string },
  balances: readonly MasterBalance[],
  options: ReconcileOptions,
): Promise<{ reconciliation: Reconciliation; drifts: Drift[] }> {
  const { traffic } = options;
  const open = { asOf: options.asOf.toISOString(), scope: options.scope, repair: options.repair };
  const opened = await call<Reconciliation>(follower, 'POST', '', open, traffic);
  for (let start = 0; start < balances.length; start += CALL) {
    await call(follower, 'POST', `/${opened.id}/accounts`, balances.slice(start, start + CALL), traffic);
  }
  let reconciliation = await call<Reconciliation>(follower, 'POST', `/${opened.id}/complete`, undefined, traffic);
  while (reconciliation.status === 'Comparing') {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    reconciliation = await call<Reconciliation>(follower, 'GET', `/${opened.id}`, undefined, traffic);
  }
  const drifts: Drift[] = [];
  for (let total = Infinity; drifts.length < total;) {
    const path = `/${opened.id}/drifts?offset=${drifts.length}&count=${CALL}`;
    const page = await call<{ items: Drift[]; totalCount: number }>(follower, 'GET', path, undefined, traffic);
    drifts.push(...page.items);
    total = page.items.length === 0 ? drifts.length : page.totalCount;
  }
  return { reconciliation, drifts };
}

/** The report as a person reads it. */
export function formatReport({ reconciliation: r, drifts }: { reconciliation: Reconciliation; drifts: Drift[] }): string {
  const lines = [
    `Reconciliation ${r.id} as of ${r.asOf} (${r.scope}${r.repair ? ', repair' : ''}): ${r.status}`,
    `  listed ${r.listed}, compared ${r.compared}, matched ${r.matched}, drifted ${r.drifted}${r.repair ? `, repaired ${r.repaired}` : ''}`,
  ];
  if (r.error) lines.push(`  error: ${r.error}`);
  if (r.missingSequences) {
    const { count, highestSequence, gaps } = r.missingSequences;
    const ranges = gaps.map((gap) => (gap.from === gap.to ? `${gap.from}` : `${gap.from}-${gap.to}`)).join(', ');
    lines.push(`  missing sequences: ${count} (highest applied ${highestSequence}): ${ranges}; send these rows again, they may be what a drift stands for`);
  }
  for (const d of drifts) {
    lines.push(
      `  ${d.kind.padEnd(17)} ${d.contactId} definition ${d.definitionId}: master ${d.masterBalance}, follower ${d.followerBalance} (${d.difference > 0 ? '+' : ''}${d.difference})`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      'follower-url': { type: 'string' },
      'follower-api-key': { type: 'string' },
      balances: { type: 'string' },
      'as-of': { type: 'string' },
      scope: { type: 'string', default: 'Listed' },
      repair: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const apiKey = flags['follower-api-key'] ?? process.env.FOLLOWER_API_KEY;
  if (!apiKey || !flags.balances || (flags.scope !== 'Listed' && flags.scope !== 'Full')) {
    console.error('Usage: reconcile --follower-api-key KEY --balances FILE [--follower-url URL] [--as-of ISO] [--scope Listed|Full] [--repair] [--json]');
    process.exit(2);
  }
  const balances = JSON.parse(await readFile(flags.balances, 'utf8')) as MasterBalance[];
  const report = await reconcile({ url: flags['follower-url'] ?? process.env.FOLLOWER_URL ?? 'http://127.0.0.1:3000', apiKey }, balances, {
    asOf: flags['as-of'] ? new Date(flags['as-of']) : new Date(),
    scope: flags.scope,
    repair: flags.repair,
  });
  console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
  if (report.reconciliation.status !== 'Completed') process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
