import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { request } from 'undici';
import { expect } from 'vitest';
import { sleep } from './services.ts';

/**
 * What a point master sends during a fault case, how it sends it (retrying
 * until the API answers 202, as a real master does), and the exact check of
 * what Postgres holds afterwards against everything that was accepted.
 */

export interface BalanceItem {
  contactId: string;
  amount: number;
  definitionId: number;
  timeStamp: string;
}

export interface TransactionRow {
  contactId: string;
  amount: number;
  definitionId: number;
  source: string;
  description: string;
}

const BATCH = 1000;

function chunk<T>(items: T[]): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  return batches;
}

/** `items` balances spread over `accounts` contacts; timestamps rise with every item, so the last item of a contact is its newest. */
export function planBalances(items: number, accounts: number): BalanceItem[][] {
  const contacts = Array.from({ length: accounts }, () => randomUUID());
  const start = Date.parse('2024-01-01T00:00:00Z');
  return chunk(
    Array.from({ length: items }, (_, i) => ({
      contactId: contacts[i % accounts]!,
      amount: Math.floor(Math.random() * 2_000_001) - 1_000_000,
      definitionId: 1,
      timeStamp: new Date(start + i * 1000).toISOString(),
    })),
  );
}

/** `rows` transactions (non-zero amounts, both signs) spread over `accounts` contacts. */
export function planTransactions(rows: number, accounts: number): TransactionRow[][] {
  const contacts = Array.from({ length: accounts }, () => randomUUID());
  return chunk(
    Array.from({ length: rows }, (_, i) => {
      const amount = (Math.floor(Math.random() * 1000) + 1) * (Math.random() < 0.25 ? -1 : 1);
      return { contactId: contacts[i % accounts]!, amount, definitionId: 1, source: 'Purchase', description: `row ${i}` };
    }),
  );
}

export interface SendLog {
  /** The batch id of each planned batch, from its 202. */
  accepted: string[];
  /** How many batches each API accepted, by its address. */
  acceptedBy: Record<string, number>;
  /** Every answer that was not a 202, by status. */
  refusals: Record<number, number>;
  /** Requests that got no HTTP answer, by error code. */
  failures: Record<string, number>;
  /** Answers to requests sent and answered while `watch` said so (for example: while Postgres was down). */
  watched: number[];
}

export interface SendOptions {
  kind: 'balances' | 'transactions';
  key: string;
  /** Requests in flight at once. */
  inFlight?: number;
  /** Pause between two requests of one sender, so faults land mid-ingest. */
  pauseMs?: number;
  /** While it returns true, the status of every request sent and answered meanwhile is also kept in `watched`. */
  watch?: () => boolean;
  deadlineMs?: number;
}

/**
 * Sends every batch until it is answered 202. Transactions carry an
 * Idempotency-Key per batch, so a retry of a request whose answer was lost
 * cannot store the rows twice; a balances batch sent twice is harmless (same
 * values, same timestamps). Each request uses its own connection.
 */
export async function sendBatches(apiUrl: string | string[], batches: unknown[][], options: SendOptions): Promise<SendLog> {
  // Several APIs: batches are spread over them, and a retry goes to the next one.
  const apiUrls = typeof apiUrl === 'string' ? [apiUrl] : apiUrl;
  const log: SendLog = { accepted: new Array(batches.length), acceptedBy: {}, refusals: {}, failures: {}, watched: [] };
  const deadline = Date.now() + (options.deadlineMs ?? 240_000);
  const runId = randomUUID();
  let next = 0;
  const sender = async () => {
    for (let index = next++; index < batches.length; index = next++) {
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > deadline) throw new Error(`batch ${index} not accepted before the deadline: ${JSON.stringify(log)}`);
        const headers: Record<string, string> = { apikey: options.key, 'content-type': 'application/json' };
        if (options.kind === 'transactions') headers['idempotency-key'] = `${runId}-${index}`;
        const watching = options.watch?.() ?? false;
        try {
          const api = apiUrls[(index + attempt) % apiUrls.length]!;
          const response = await request(`${api}/api/v2/point-accounts/${options.kind}`, {
            method: 'POST',
            headers,
            body: JSON.stringify(batches[index]),
            reset: true,
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          });
          const body = (await response.body.json()) as { id?: string };
          if (watching && options.watch?.()) log.watched.push(response.statusCode);
          if (response.statusCode === 202 && body.id) {
            log.accepted[index] = body.id;
            log.acceptedBy[api] = (log.acceptedBy[api] ?? 0) + 1;
            break;
          }
          log.refusals[response.statusCode] = (log.refusals[response.statusCode] ?? 0) + 1;
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          log.failures[code] = (log.failures[code] ?? 0) + 1;
        }
        await sleep(100);
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight ?? 3 }, sender));
  return log;
}

/** Waits until Postgres holds no unfinished batch of these tenants. */
export async function waitUntilApplied(db: pg.Pool, tenantIds: string[], timeoutMs = 120_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = await db
      .query<{ n: number }>(`SELECT count(*)::int AS n FROM ingest_batch WHERE tenant_id = ANY($1::uuid[]) AND status IN ('Queued', 'Processing')`, [tenantIds])
      .catch(() => ({ rows: [{ n: -1 }] }));
    if (rows[0]!.n === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${rows[0]!.n} batches still unfinished after ${timeoutMs} ms`);
    await sleep(200);
  }
}

const FINAL_OK = ['Completed', 'CompletedWithErrors'];

/**
 * Balances: every account holds the newest balance sent for it, every 202'd
 * batch is finished and accounted for item by item, the only skips are
 * stale or superseded items (a batch applied after a newer one), and each
 * account's history adds up to its balance (no change recorded twice).
 */
export async function verifyBalances(db: pg.Pool, tenantId: string, batches: BalanceItem[][], log: SendLog) {
  const expected = new Map<string, number>();
  for (const batch of batches) for (const item of batch) expected.set(item.contactId, item.amount);

  const { rows: accounts } = await db.query<{ contact_id: string; balance: number }>(
    `SELECT contact_id, balance::float8 AS balance FROM point_account WHERE tenant_id = $1 AND definition_id = 1`,
    [tenantId],
  );
  expect(accounts.length).toBe(expected.size);
  const wrong = accounts.filter((a) => expected.get(a.contact_id) !== a.balance);
  expect(wrong.slice(0, 5)).toEqual([]);

  const { rows: stored } = await db.query<{ id: string; status: string; item_count: number; applied_count: number; skipped_count: number }>(
    `SELECT id, status, item_count, applied_count, skipped_count FROM ingest_batch WHERE tenant_id = $1`,
    [tenantId],
  );
  const byId = new Map(stored.map((b) => [b.id, b]));
  expect(log.accepted.filter(Boolean).length).toBe(batches.length);
  for (const id of log.accepted) {
    const batch = byId.get(id);
    expect(batch, id).toBeDefined();
    expect(FINAL_OK).toContain(batch!.status);
    expect(batch!.applied_count + batch!.skipped_count).toBe(batch!.item_count);
  }
  expect(stored.filter((b) => !FINAL_OK.includes(b.status))).toEqual([]);

  const { rows: skips } = await db.query<{ message: string }>(
    `SELECT m.message FROM batch_message m JOIN ingest_batch b ON b.tenant_id = m.tenant_id AND b.id = m.batch_id
      WHERE b.tenant_id = $1 AND m.message NOT LIKE '%is older than the balance already applied%' AND m.message NOT LIKE '%superseded by item%' LIMIT 5`,
    [tenantId],
  );
  expect(skips).toEqual([]);

  const { rows: unbalanced } = await db.query(
    `SELECT a.id, a.balance::float8 AS balance, COALESCE(sum(h.amount), 0)::float8 AS history FROM point_account a LEFT JOIN balance_history h ON h.tenant_id = a.tenant_id AND h.account_id = a.id
      WHERE a.tenant_id = $1 GROUP BY a.id, a.balance HAVING COALESCE(sum(h.amount), 0) <> a.balance LIMIT 5`,
    [tenantId],
  );
  expect(unbalanced).toEqual([]);
  const statuses = Object.fromEntries(FINAL_OK.map((s) => [s, stored.filter((b) => b.status === s).length]));
  return { accounts: accounts.length, items: batches.reduce((n, b) => n + b.length, 0), batchesStored: stored.length, statuses };
}

/**
 * Transactions: exactly one stored batch per planned batch (retries replayed,
 * never stored twice), all Completed, and the ledger holds exactly the rows
 * sent: the same count, the same sum, the same sum per account.
 */
export async function verifyTransactions(db: pg.Pool, tenantId: string, batches: TransactionRow[][], log: SendLog) {
  const expected = new Map<string, number>();
  let rows = 0;
  let total = 0;
  for (const batch of batches) {
    for (const row of batch) {
      expected.set(row.contactId, (expected.get(row.contactId) ?? 0) + row.amount);
      rows++;
      total += row.amount;
    }
  }

  const { rows: stored } = await db.query<{ id: string; status: string; applied_count: number }>(
    `SELECT id, status, applied_count FROM ingest_batch WHERE tenant_id = $1`,
    [tenantId],
  );
  expect(new Set(log.accepted.filter(Boolean)).size).toBe(batches.length);
  expect(stored.map((b) => b.id).sort()).toEqual([...log.accepted].sort());
  expect(stored.filter((b) => b.status !== 'Completed')).toEqual([]);

  const { rows: sums } = await db.query<{ n: number; total: number }>(
    `SELECT count(*)::int AS n, COALESCE(sum(amount), 0)::float8 AS total FROM ledger_entry WHERE tenant_id = $1 AND type <> 'Expiry'`,
    [tenantId],
  );
  expect(sums[0]).toEqual({ n: rows, total });

  const { rows: perAccount } = await db.query<{ contact_id: string; total: number }>(
    `SELECT a.contact_id, sum(e.amount)::float8 AS total FROM point_account a JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id
      WHERE a.tenant_id = $1 GROUP BY a.contact_id`,
    [tenantId],
  );
  expect(perAccount.length).toBe(expected.size);
  expect(perAccount.filter((a) => expected.get(a.contact_id) !== a.total).slice(0, 5)).toEqual([]);
  return { accounts: perAccount.length, rows, sum: total, batchesStored: stored.length };
}

/**
 * Sizes of the ingests. The worker-kill case sends the full sizes the issue
 * names (100,000 balance items, 50,000 transaction rows); the other cases
 * send a fifth of that, which still spans every fault with batches in
 * flight and keeps the whole suite within a few minutes on a 2-core machine.
 */
export const FULL = { balanceItems: 100_000, balanceAccounts: 20_000, transactionRows: 50_000, transactionAccounts: 5_000 };
export const REDUCED = { balanceItems: 20_000, balanceAccounts: 5_000, transactionRows: 10_000, transactionAccounts: 1_000 };
