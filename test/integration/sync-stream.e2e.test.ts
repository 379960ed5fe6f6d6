import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../examples/point-master/reconcile.ts';
import { buildPointMaster, type PointMaster } from '../../examples/point-master/app.ts';
import type { MasterTransaction } from '../../examples/point-master/store.ts';
import { automation } from '../support/adjustments.ts';
import { createUiUser, HTML, signIn } from '../support/ui.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { connectPointMaster } from '../support/point-master.ts';

// The reference master and the follower, end to end over real HTTP: the
// master's pushes go through its lossy link, its recovery loop reads /sync.

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
let followerUrl: string;
const masters: PointMaster[] = [];

beforeAll(async () => {
  // No rate limit: the master's recovery rounds poll batch statuses back to back.
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_SECOND: '0', WEBHOOK_RETRY_SCHEDULE: '100ms,200ms' });
  followerUrl = await system.app.listen({ host: '127.0.0.1', port: 0 });
  await system.startWorker();
});
afterAll(async () => {
  for (const master of masters) await master.app.close();
  await system?.close();
});

const admin = async (method: 'PUT' | 'GET', url: string, payload?: object) => {
  const response = await system.app.inject({
    method,
    url: `/admin/v1${url}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(payload && { payload }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

const syncOf = async (tenant: Tenant) => {
  const response = await system.app.inject({ url: '/api/v2/point-accounts/sync', headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

async function unfinishedBatches(tenant: Tenant): Promise<number> {
  const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM ingest_batch WHERE tenant_id = $1 AND status IN ('Queued', 'Processing')`, [
    tenant.id,
  ]);
  return rows[0].n;
}

/** The follower's ledger of the tenant, as the master's rows look: one line per entry, in sequence order. */
async function followerLedger(tenant: Tenant) {
  const { rows } = await system.runtime.pool.query(
    `SELECT a.contact_id AS "contactId", a.definition_id AS "definitionId", e.amount, e.source, e.description,
            to_char(e.transaction_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "timeStamp", e.external_id AS "externalId", e.sequence
       FROM ledger_entry e JOIN point_account a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
      WHERE e.tenant_id = $1 ORDER BY e.sequence, e.id`,
    [tenant.id],
  );
  return rows;
}

describe('sync assurance with the reference master over a lossy link', () => {
  it('20,000 transactions over 1,000 accounts: gaps reported, closed by the recovery loop, the ledgers equal', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
    const master = buildPointMaster({
      encryptionKey: 'k'.repeat(32),
      signingSecret: `whsec_${Buffer.from('s'.repeat(24)).toString('base64')}`,
      followerUrl,
      followerApiKey: tenant.key,
      mode: 'all-transaction',
      // 100 pushes of 200 rows: 5% lost, 5% sent twice at once, 5% sent after the next one.
      lossy: { drop: 0.05, duplicate: 0.05, reorder: 0.05, seed: 20261130 },
      batchSize: 200,
      logger: false,
    });
    masters.push(master);

    const contacts = Array.from({ length: 500 }, () => randomUUID());
    const transactions: MasterTransaction[] = Array.from({ length: 20_000 }, (_, i) => {
      const amount = ((i * 7919) % 400) - 150 || 7;
      return {
        contactId: contacts[i % contacts.length]!,
        definitionId: 1 + (Math.floor(i / contacts.length) % 2),
        amount,
        source: amount > 0 ? 'Purchase' : 'Return',
        description: `Receipt ${i}`,
      };
    });
    await master.record(transactions);
    expect(master.link.stats.dropped).toBeGreaterThan(0);
    expect(master.link.stats.duplicated).toBeGreaterThan(0);
    expect(master.link.stats.reordered).toBeGreaterThan(0);

    // Once what arrived is applied, the follower names what is missing.
    await expect.poll(() => unfinishedBatches(tenant), { timeout: 60_000, interval: 100 }).toBe(0);
    const before = await syncOf(tenant);
    expect(before.contiguousThrough).toBeLessThan(20_000);
    expect(before.missingCount).toBeGreaterThan(0);
    expect(before.gaps.length).toBeGreaterThan(0);
    expect(before.gaps[0].from).toBe(before.contiguousThrough + 1);
    expect(before.missingCount).toBe(before.gaps.reduce((n: number, g: { from: number; to: number }) => n + g.to - g.from + 1, 0));

    // The recovery loop: round after round until the follower has every row (each re-send goes through the lossy link too).
    await expect.poll(async () => (await master.recover()).state, { timeout: 60_000, interval: 50 }).toBe('in-step');

    const after = await syncOf(tenant);
    expect(after).toMatchObject({ contiguousThrough: 20_000, highestSequence: 20_000, missingCount: 0, gaps: [], alerting: false });
    expect(after.lastReceivedAt).toEqual(expect.any(String));

    // Every entry once, exactly as the master recorded it.
    expect(await followerLedger(tenant)).toEqual(master.stream.all().map((row) => ({ ...row })));
    // And every account's balance is the master's.
    const { rows: balances } = await system.runtime.pool.query(
      `SELECT a.contact_id AS "contactId", a.definition_id AS "definitionId", a.id FROM point_account a WHERE a.tenant_id = $1`,
      [tenant.id],
    );
    expect(balances).toHaveLength(1000);
    for (const account of balances.slice(0, 50)) {
      const read = await system.app.inject({ url: `/api/v2/point-accounts/${account.id}`, headers: tenant.headers });
      expect(read.json().balance).toBe(master.store.balance(account.contactId, account.definitionId));
    }
    const { rows: sums } = await system.runtime.pool.query(
      `SELECT a.contact_id AS "contactId", a.definition_id AS "definitionId", sum(e.amount)::int AS balance
         FROM point_account a JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id WHERE a.tenant_id = $1
        GROUP BY a.contact_id, a.definition_id`,
      [tenant.id],
    );
    for (const sum of sums) expect(sum.balance, `${sum.contactId}/${sum.definitionId}`).toBe(master.store.balance(sum.contactId, sum.definitionId));

    // Batch statuses report the rows that arrived twice.
    const { rows: reported } = await system.runtime.pool.query(`SELECT sum(duplicate_count)::int AS n FROM ingest_batch WHERE tenant_id = $1`, [tenant.id]);
    expect(reported[0].n).toBeGreaterThan(0);

    // And a Full reconciliation of the master's books against the follower finds no drift.
    const { reconciliation } = await reconcile({ url: followerUrl, apiKey: tenant.key }, master.store.accounts(), {
      asOf: new Date(),
      scope: 'Full',
      repair: false,
      pollMs: 100,
    });
    expect(reconciliation).toMatchObject({ status: 'Completed', drifted: 0, matched: reconciliation.compared });
    expect(reconciliation.listed).toBe(master.store.accounts().length);
  }, 120_000);

  it('an adjustment the master sends back as a transaction with the event id as externalId reads Confirmed', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const { master } = await connectPointMaster((path, body) => admin('PUT', path, body), tenant, { followerUrl, mode: 'all-transaction', logger: false });
    masters.push(master);

    const contact = randomUUID();
    const created = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/adjustments',
      headers: tenant.headers,
      payload: automation(contact, 40),
    });
    expect(created.statusCode, created.body).toBe(202);
    const { id, eventId } = created.json();
    expect(created.json().confirmation).toBe('Unconfirmed');

    const read = async () => (await system.app.inject({ url: `/api/v2/point-accounts/adjustments/${id}`, headers: tenant.headers })).json();
    await expect.poll(async () => (await read()).confirmation, { timeout: 20_000 }).toBe('Confirmed');
    const confirmed = await read();
    const entry = await system.app.inject({ url: `/api/v2/point-accounts/transactions?externalId=${eventId}`, headers: tenant.headers });
    expect(entry.json()).toMatchObject({ totalCount: 1, items: [{ id: confirmed.confirmedTransactionId, amount: 40, externalId: eventId, sequence: 1 }] });
    expect(confirmed.confirmedAt).toEqual(expect.any(String));
    const accounts = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers });
    expect(accounts.json().items[0].balance).toBe(40);
    expect(master.stream.all()).toEqual([expect.objectContaining({ externalId: eventId, sequence: 1, amount: 40, source: 'Automation' })]);

    // The contact card says so too.
    const user = await createUiUser(system.app, tenant.id);
    const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
    const card = await system.app.inject({ url: `/ui/contacts/${contact}/adjustments`, headers: { ...HTML, cookie: session.cookie } });
    expect(card.statusCode, card.body).toBe(200);
    expect(card.body).toMatch(/data-confirmed="true"/);
    expect(card.body).toMatch(/data-testid="adjustment-state">Confirmed</);
  });
});
