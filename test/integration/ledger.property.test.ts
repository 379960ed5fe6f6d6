import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRuntime, createRuntime } from '../../src/runtime.ts';
import { ingestConsumer } from '../../src/jobs/ingest.worker.ts';
import { startQueueWorker } from '../../src/queue/queue-worker.ts';
import { runLedgerMaintenance } from '../../src/jobs/ledger-maintenance.job.ts';
import { createLogger } from '../../src/logger.ts';
import { DAY, HOUR, manualClock } from '../support/clock.ts';
import { expiriesBy, figuresAt, type ModelRow } from '../support/lot-model.ts';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

const clock = manualClock('2031-01-01T00:00:00.000Z');
let system: TestSystem;
beforeAll(async () => {
  // Maintenance runs only when a step asks for it (and once at worker start):
  // a background pass skips the rows a step's pass holds and vice versa, so
  // counting Expiry entries right after a pass needs the pass to be alone.
  system = await startSystem({ LEDGER_MAINTENANCE_INTERVAL_MS: String(60 * 60 * 1000) }, { clock });
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

/** What the ledger must hold: the accepted rows per account, for the independent model of the rule (test/support/lot-model.ts). */
interface ModelEntry extends ModelRow {
  account: string;
}

function expectedAccount(entries: readonly ModelEntry[], t: number) {
  const figures = figuresAt(entries, t, true);
  // Whole points here; left out (undefined) when nothing expires, as the API leaves the field out.
  return {
    balance: Number(figures.balance) / 10_000,
    pendingPoints: Number(figures.pendingPoints) / 10_000,
    balanceExpires: figures.balanceExpires === null ? undefined : new Date(figures.balanceExpires).toISOString(),
  };
}

interface RowSpec {
  contact: number;
  definition: number;
  /** Zero makes the row invalid: it must be refused and never reach the ledger. */
  amount: number;
  /** validFrom relative to now, in hours; null leaves it out (request time). */
  fromHours: number | null;
  /** Length of the validity window in hours; null means no validTo. */
  validHours: number | null;
}

type Step =
  | { kind: 'post'; rows: RowSpec[]; key: 'none' | 'new' | 'race' }
  | { kind: 'retry' }
  | { kind: 'duplicate' }
  | { kind: 'advance'; hours: number }
  | { kind: 'maintain' };

const rowSpec = fc.record({
  contact: fc.integer({ min: 0, max: 2 }),
  definition: fc.constantFrom(1, 2),
  amount: fc.integer({ min: -100, max: 100 }),
  fromHours: fc.option(fc.integer({ min: -72, max: 72 }), { nil: null }),
  validHours: fc.option(fc.integer({ min: 1, max: 96 }), { nil: null }),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      rows: fc.array(rowSpec, { minLength: 1, maxLength: 5 }),
      key: fc.constantFrom('none' as const, 'new' as const, 'race' as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'retry' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'duplicate' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'maintain' as const }) },
);

const post = (tenant: Tenant, body: unknown[], key?: string) =>
  system.app.inject({
    method: 'POST',
    url: '/api/v2/point-accounts/transactions',
    headers: { ...tenant.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });

async function runScenario(steps: Step[]) {
  const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
  const contacts = [randomUUID(), randomUUID(), randomUUID()];
  const model: ModelEntry[] = [];
  /** Accepted rows per batch id: the ledger must hold exactly these, once each. */
  const applied = new Map<string, number>();
  let lastBody: unknown[] | null = null;
  type Keyed = { key: string; body: unknown[]; id: string; at: number };
  // The latest keyed request, which a 'retry' step sends again.
  const keyed: { last: Keyed | null } = { last: null };
  let maintained = false;

  // What the API answered for a body it stored; the model takes the accepted rows.
  const record = async (body: unknown[], answer: { id: string; notAccepted: unknown[] }, requestTime: number) => {
    await waitForBatch(system.app, tenant.headers, answer.id);
    let accepted = 0;
    for (const row of body as Array<Record<string, unknown>>) {
      const validFrom = row.validFrom ? Date.parse(row.validFrom as string) : requestTime;
      const validTo = row.validTo ? Date.parse(row.validTo as string) : null;
      // Refused: a zero amount, or a window that closes before it opens (a body
      // re-sent later without validFrom gets the later request time as validFrom).
      if (row.amount === 0 || (validTo !== null && validTo <= validFrom)) continue;
      model.push({
        account: `${String(row.contactId)}|${String(row.definitionId)}`,
        id: model.length,
        amount: BigInt(row.amount as number) * 10_000n,
        validFrom,
        validTo,
      });
      accepted++;
    }
    expect(answer.notAccepted).toHaveLength(body.length - accepted);
    applied.set(answer.id, accepted);
  };

  const bodyOf = (rows: RowSpec[]) => {
    const now = clock.now().getTime();
    return rows.map((r) => {
      const from = r.fromHours === null ? now : now + r.fromHours * HOUR;
      return {
        contactId: contacts[r.contact],
        definitionId: r.definition,
        amount: r.amount,
        source: r.amount > 0 ? 'Purchase' : 'Return',
        description: 'generated',
        ...(r.fromHours === null ? {} : { validFrom: new Date(from).toISOString() }),
        ...(r.validHours === null ? {} : { validTo: new Date(from + r.validHours * HOUR).toISOString() }),
      };
    });
  };

  for (const s of steps) {
    maintained = false;
    const now = clock.now().getTime();
    switch (s.kind) {
      case 'post': {
        const body = bodyOf(s.rows);
        lastBody = body;
        if (s.key === 'none') {
          const response = await post(tenant, body);
          expect(response.statusCode, response.body).toBe(202);
          await record(body, response.json(), now);
          break;
        }
        const key = randomUUID();
        // 'race': two identical requests at once; exactly one may store a batch.
        const responses = await Promise.all(s.key === 'race' ? [post(tenant, body, key), post(tenant, body, key)] : [post(tenant, body, key)]);
        const ok = responses.filter((r) => r.statusCode === 202);
        expect(
          responses.every((r) => r.statusCode === 202 || r.statusCode === 409),
          responses.map((r) => r.body).join(),
        ).toBe(true);
        expect(ok.length).toBeGreaterThanOrEqual(1);
        expect(new Set(ok.map((r) => r.json().id)).size).toBe(1);
        await record(body, ok[0]!.json(), now);
        keyed.last = { key, body, id: ok[0]!.json().id, at: now };
        break;
      }
      case 'retry': {
        const previous = keyed.last;
        if (!previous) break;
        const response = await post(tenant, previous.body, previous.key);
        expect(response.statusCode, response.body).toBe(202);
        if (now < previous.at + DAY) {
          expect(response.json().id).toBe(previous.id);
          expect(response.headers['idempotent-replayed']).toBe('true');
        } else {
          // The key is past its 24 h: the retry is a new request and its rows count again.
          expect(response.json().id).not.toBe(previous.id);
          await record(previous.body, response.json(), now);
          keyed.last = { ...previous, id: response.json().id, at: now };
        }
        break;
      }
      case 'duplicate': {
        // The same body again without a key is a second batch, as Engage treats it.
        if (!lastBody) break;
        const response = await post(tenant, lastBody);
        expect(response.statusCode).toBe(202);
        await record(lastBody, response.json(), now);
        break;
      }
      case 'advance':
        clock.advance(s.hours * HOUR);
        break;
      case 'maintain':
        await runLedgerMaintenance(system.runtime);
        maintained = true;
        break;
    }
    await check();
  }

  async function check() {
    const t = clock.now().getTime();
    for (const contactId of contacts) {
      const response = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers });
      const accounts = response.json().items as Array<{ definitionId: number; balance: number; pendingPoints: number; balanceExpires?: string }>;
      for (const definitionId of [1, 2]) {
        const entries = model.filter((e) => e.account === `${contactId}|${definitionId}`);
        const account = accounts.find((a) => a.definitionId === definitionId);
        if (entries.length === 0) {
          expect(account).toBeUndefined();
          continue;
        }
        const expected = expectedAccount(entries, t);
        expect({ balance: account?.balance, pendingPoints: account?.pendingPoints, balanceExpires: account?.balanceExpires }).toEqual(expected);
      }
    }

    // Nothing applied twice: each batch put exactly its accepted rows into the ledger, once.
    const { rows } = await system.runtime.pool.query<{ batch_id: string; n: number }>(
      `SELECT batch_id, count(*) AS n FROM ledger_entry WHERE tenant_id = $1 AND type <> 'Expiry' GROUP BY batch_id`,
      [tenant.id],
    );
    expect(new Map(rows.map((r) => [r.batch_id, r.n]))).toEqual(new Map([...applied].filter(([, n]) => n > 0)));

    // One Expiry entry per lot with points left at its validTo.
    const accounts = new Set(model.map((e) => e.account));
    const lapsed = [...accounts].reduce(
      (n, account) =>
        n +
        expiriesBy(
          model.filter((e) => e.account === account),
          t,
        ).length,
      0,
    );
    const { rows: expiries } = await system.runtime.pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM ledger_entry WHERE tenant_id = $1 AND type = 'Expiry'`,
      [tenant.id],
    );
    if (maintained) expect(expiries[0]!.n).toBe(lapsed);
    else expect(expiries[0]!.n).toBeLessThanOrEqual(lapsed);
  }
}

describe('the ledger against a model', () => {
  // 20 runs keep the suite quick; LEDGER_PROPERTY_RUNS=500 digs deeper locally.
  const numRuns = Number(process.env.LEDGER_PROPERTY_RUNS ?? 20);
  it('keeps balance, pending points, expiry and entries exact through random streams of transactions', { timeout: 180_000 + numRuns * 2000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 12 }), runScenario), { numRuns });
  });
});

describe('two workers', () => {
  it('applying overlapping batches for the same accounts at once end with exact balances', { timeout: 60_000 }, async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
    const contacts = Array.from({ length: 40 }, () => randomUUID());
    // A second worker process in all but name: its own pool, Redis connection and job loop, on the same queue.
    const secondRuntime = createRuntime(system.runtime.config, createLogger('silent', 'worker-2'), clock);
    const second = startQueueWorker(secondRuntime, ingestConsumer(secondRuntime));
    const handled = { first: 0, second: 0 };
    second.worker.on('completed', () => handled.second++);
    try {
      const expected = new Map<string, number>();
      const batches = Array.from({ length: 16 }, (_, b) => {
        // Every batch touches every account, each in its own shuffled order.
        const rows = contacts.flatMap((contactId, c) =>
          [1, 2].map((definitionId) => ({
            contactId,
            definitionId,
            amount: ((b * 7 + c * 3 + definitionId) % 23) - 11 || 5,
            source: 'Purchase',
            description: `batch ${b}`,
          })),
        );
        for (let i = rows.length - 1; i > 0; i--) {
          const j = (i * 31 + b * 17) % (i + 1);
          [rows[i], rows[j]] = [rows[j]!, rows[i]!];
        }
        for (const r of rows) expected.set(`${r.contactId}|${r.definitionId}`, (expected.get(`${r.contactId}|${r.definitionId}`) ?? 0) + r.amount);
        return rows;
      });

      const responses = await Promise.all(batches.map((rows) => post(tenant, rows)));
      const statuses = await Promise.all(responses.map((r) => waitForBatch(system.app, tenant.headers, r.json().id)));
      expect(statuses.map((s) => s.status)).toEqual(Array(16).fill('Completed'));
      handled.first = 16 - handled.second;

      const { rows } = await system.runtime.pool.query<{ contact_id: string; definition_id: number; balance: number; n: number }>(
        `SELECT a.contact_id, a.definition_id, sum(e.amount) AS balance, count(*) AS n
           FROM point_account a JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id
          WHERE a.tenant_id = $1 GROUP BY a.contact_id, a.definition_id`,
        [tenant.id],
      );
      expect(rows).toHaveLength(80);
      expect(rows.every((r) => r.n === 16)).toBe(true);
      expect(new Map(rows.map((r) => [`${r.contact_id}|${r.definition_id}`, r.balance]))).toEqual(expected);

      for (const contactId of contacts.slice(0, 3)) {
        const api = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers });
        for (const account of api.json().items) expect(account.balance).toBe(expected.get(`${contactId}|${account.definitionId}`));
      }
      expect(handled.second, 'the second worker took part').toBeGreaterThan(0);
      expect(handled.first, 'the first worker took part').toBeGreaterThan(0);
    } finally {
      await second.close();
      await closeRuntime(secondRuntime);
    }
  });
});
