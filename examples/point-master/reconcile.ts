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

export interface ReconcileOptions {
  asOf: Date;
  scope: 'Listed' | 'Full';
  repair: boolean;
  /** How often to ask whether the compare is done. */
  pollMs?: number;
}

/** The follower's answer for a reconciliation (the fields the report prints). */
interface Reconciliation {
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
  error?: string;
}

interface Drift {
  contactId: string;
  definitionId: number;
  masterBalance: number;
  followerBalance: number;
  difference: number;
  kind: string;
}

/** The follower takes up to 1000 accounts per call. */
const CALL = 1000;

async function call<T>(follower: { url: string; apiKey: string }, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(`/api/v2/point-accounts/reconciliations${path}`, follower.url), {
    method,
    headers: { apikey: follower.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
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
  const opened = await call<Reconciliation>(follower, 'POST', '', { asOf: options.asOf.toISOString(), scope: options.scope, repair: options.repair });
  for (let start = 0; start < balances.length; start += CALL) {
    await call(follower, 'POST', `/${opened.id}/accounts`, balances.slice(start, start + CALL));
  }
  let reconciliation = await call<Reconciliation>(follower, 'POST', `/${opened.id}/complete`);
  while (reconciliation.status === 'Comparing') {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    reconciliation = await call<Reconciliation>(follower, 'GET', `/${opened.id}`);
  }
  const drifts: Drift[] = [];
  for (let total = Infinity; drifts.length < total;) {
    const page = await call<{ items: Drift[]; totalCount: number }>(follower, 'GET', `/${opened.id}/drifts?offset=${drifts.length}&count=${CALL}`);
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
