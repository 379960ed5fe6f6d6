import { randomUUID } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceAccountToAmountJob } from '../../src/jobs/balance-batch.job.ts';
import { runLedgerMaintenance } from '../../src/jobs/ledger-maintenance.job.ts';
import { INGEST_QUEUE, ingestJobName } from '../../src/queue/queues.ts';
import { requeueUnfinishedBatches } from '../../src/jobs/recovery.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

const post = (tenant: Tenant, payload: unknown) =>
  system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/balances', headers: tenant.headers, payload: payload as object });

async function postAndWait(tenant: Tenant, payload: unknown) {
  const response = await post(tenant, payload);
  expect(response.statusCode, response.body).toBe(202);
  return waitForBatch(system.app, tenant.headers, response.json().id);
}

async function accountsOf(tenant: Tenant, contactId: string) {
  const response = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers });
  expect(response.statusCode).toBe(200);
  return response.json();
}

const balance = (contactId: string, amount: number, timeStamp: string, definitionId = 1) => ({ contactId, amount, definitionId, timeStamp });

describe('POST /api/v2/point-accounts/balances', () => {
  it('applies a 1000-item batch and serves it back in Engage shapes', async () => {
    const tenant = await createTenant(system.app, { definitions: [1, 2] });
    const contacts = Array.from({ length: 500 }, () => randomUUID());
    const items = contacts.flatMap((contactId, i) => [
      balance(contactId, i, '2024-05-16T12:20:03.807Z', 1),
      balance(contactId, i * 2, '2024-05-16T12:20:03.807Z', 2),
    ]);

    const response = await post(tenant, items);
    expect(response.statusCode).toBe(202);
    const { id, status } = response.json();
    expect(status).toBe('Queued');
    expect(response.headers.location).toBe(`/api/v2/point-accounts/balances/status/${id}`);

    const done = await waitForBatch(system.app, tenant.headers, id);
    expect(done).toMatchObject({ id, status: 'Completed', itemCount: 1000, appliedCount: 1000, skippedCount: 0, messages: [] });

    const list = await accountsOf(tenant, contacts[7]!);
    expect(list).toMatchObject({ totalCount: 2, offset: 0, count: 100 });
    expect(list.items.map((a: { definitionId: number; balance: number }) => [a.definitionId, a.balance])).toEqual([
      [1, 7],
      [2, 14],
    ]);
    const account = list.items[0];
    expect(account).toEqual({
      id: expect.any(Number),
      contactId: contacts[7],
      definitionId: 1,
      balance: 7,
      pendingPoints: 0,
      links: expect.arrayContaining([{ rel: 'self', href: `/api/v2/point-accounts/${account.id}`, method: 'GET' }]),
    });

    const single = await system.app.inject({ url: `/api/v2/point-accounts/${account.id}`, headers: tenant.headers });
    expect(single.json()).toEqual(account);

    const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM point_account WHERE tenant_id = $1`, [tenant.id]);
    expect(rows[0].n).toBe(1000);
  });

  it('skips a stale balance with a message and keeps the newer one', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await postAndWait(tenant, [balance(contact, 100, '2024-05-16T12:00:00Z')]);

    const stale = await postAndWait(tenant, [balance(contact, 50, '2024-05-16T11:59:59.999Z')]);
    expect(stale).toMatchObject({ status: 'CompletedWithErrors', itemCount: 1, appliedCount: 0, skippedCount: 1 });
    expect(stale.messages).toEqual([
      {
        message: 'Item [0] skipped: timeStamp 2024-05-16T11:59:59.999Z is older than the balance already applied (2024-05-16T12:00:00.000Z)',
        timeStamp: expect.any(String),
      },
    ]);
    expect((await accountsOf(tenant, contact)).items[0].balance).toBe(100);

    // A timestamp in another offset that is really newer is applied.
    const newer = await postAndWait(tenant, [balance(contact, 70, '2024-05-16T14:00:01+02:00')]);
    expect(newer.status).toBe('Completed');
    expect((await accountsOf(tenant, contact)).items[0].balance).toBe(70);
  });

  it('within one batch the newest timeStamp wins, ties to the later item', async () => {
    const tenant = await createTenant(system.app);
    const [a, b] = [randomUUID(), randomUUID()];
    const result = await postAndWait(tenant, [
      balance(a, 1, '2024-01-02T00:00:00Z'),
      balance(a, 2, '2024-01-01T00:00:00Z'),
      balance(b, 3, '2024-01-01T00:00:00Z'),
      balance(b, 4, '2024-01-01T00:00:00Z'),
    ]);
    expect(result).toMatchObject({ status: 'CompletedWithErrors', appliedCount: 2, skippedCount: 2 });
    expect(result.messages.map((m: { message: string }) => m.message)).toEqual([
      'Item [1] skipped: superseded by item [0] for the same account in this batch',
      'Item [2] skipped: superseded by item [3] for the same account in this batch',
    ]);
    expect((await accountsOf(tenant, a)).items[0].balance).toBe(1);
    expect((await accountsOf(tenant, b)).items[0].balance).toBe(4);
  });

  it('skips items for an unknown definition with a message and applies the rest', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const result = await postAndWait(tenant, [balance(contact, 5, '2024-01-01T00:00:00Z', 1), balance(contact, 6, '2024-01-01T00:00:00Z', 42)]);
    expect(result).toMatchObject({ status: 'CompletedWithErrors', appliedCount: 1, skippedCount: 1 });
    expect(result.messages[0].message).toBe('Item [1] skipped: unknown definitionId 42');
    expect((await accountsOf(tenant, contact)).totalCount).toBe(1);
  });

  it('keeps the definition of every account: Postgres refuses to delete or renumber it', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await postAndWait(tenant, [balance(contact, 5, '2024-01-01T00:00:00Z')]);
    const refused = { code: '23001', message: expect.stringContaining('cannot be deleted or renumbered') };
    await expect(system.runtime.pool.query(`DELETE FROM point_definition WHERE tenant_id = $1`, [tenant.id])).rejects.toMatchObject(refused);
    await expect(system.runtime.pool.query(`UPDATE point_definition SET id = 7 WHERE tenant_id = $1`, [tenant.id])).rejects.toMatchObject(refused);
    await system.runtime.pool.query(`UPDATE point_definition SET name = 'Renamed' WHERE tenant_id = $1`, [tenant.id]);
    expect((await accountsOf(tenant, contact)).items[0]).toMatchObject({ definitionId: 1, balance: 5 });
  });

  it('records each change as UpdateBalance history with the delta', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await postAndWait(tenant, [balance(contact, 100, '2024-01-01T00:00:00Z')]);
    await postAndWait(tenant, [balance(contact, 130, '2024-01-02T00:00:00Z')]);
    await postAndWait(tenant, [balance(contact, 130, '2024-01-03T00:00:00Z')]); // no change, no history
    await postAndWait(tenant, [balance(contact, 90, '2024-01-04T00:00:00Z')]);
    const { rows } = await system.runtime.pool.query(
      `SELECT h.source, h.amount, h.balance FROM balance_history h JOIN point_account a ON a.tenant_id = h.tenant_id AND a.id = h.account_id
        WHERE a.tenant_id = $1 AND a.contact_id = $2 ORDER BY h.id`,
      [tenant.id, contact],
    );
    expect(rows).toEqual([
      { source: 'UpdateBalance', amount: 100, balance: 100 },
      { source: 'UpdateBalance', amount: 30, balance: 130 },
      { source: 'UpdateBalance', amount: -40, balance: 90 },
    ]);
  });

  it('writes nothing for a push sent again, and for an unchanged newer balance only the time, on the same page', async () => {
    const tenant = await createTenant(system.app);
    const contacts = Array.from({ length: 50 }, () => randomUUID());
    const push = (amount: number, timeStamp: string) =>
      postAndWait(
        tenant,
        contacts.map((contact) => balance(contact, amount, timeStamp)),
      );
    const rowsOf = async () =>
      (
        await system.runtime.pool.query<{ version: string; page: string; balance_time: Date }>(
          `SELECT xmin::text AS version, (ctid::text::point)[0]::text AS page, balance_time FROM point_account WHERE tenant_id = $1 ORDER BY contact_id`,
          [tenant.id],
        )
      ).rows;
    const historyRows = async () =>
      (await system.runtime.pool.query(`SELECT count(*)::int AS n FROM balance_history WHERE tenant_id = $1`, [tenant.id])).rows[0].n;

    await push(100, '2024-01-01T00:00:00Z');
    const first = await rowsOf();
    const again = await push(100, '2024-01-01T00:00:00Z');
    expect(again).toMatchObject({ status: 'Completed', appliedCount: 50, skippedCount: 0 });
    expect(await rowsOf()).toEqual(first); // not one row version written
    expect(await historyRows()).toBe(50);

    const unchanged = await push(100, '2024-01-02T00:00:00Z');
    expect(unchanged).toMatchObject({ status: 'Completed', appliedCount: 50 });
    const moved = await rowsOf();
    expect(moved.map((row) => row.balance_time.toISOString())).toEqual(contacts.map(() => '2024-01-02T00:00:00.000Z'));
    expect(moved.map((row) => row.page)).toEqual(first.map((row) => row.page)); // the fillfactor left room on the page
    expect(await historyRows()).toBe(50);
    // The time moved on, so a delayed push from before it is stale.
    const late = await push(70, '2024-01-01T12:00:00Z');
    expect(late).toMatchObject({ appliedCount: 0, skippedCount: 50 });
  });

  it("drops a batch's items once it is applied, and answers its status until its retention ends", async () => {
    const tenant = await createTenant(system.app);
    const old = await postAndWait(tenant, [balance(randomUUID(), 10, '2024-01-01T00:00:00Z')]);
    const recent = await postAndWait(tenant, [balance(randomUUID(), 20, '2024-01-01T00:00:00Z')]);
    const { rows } = await system.runtime.pool.query(`SELECT payload::text AS payload FROM ingest_batch WHERE tenant_id = $1 AND id = ANY($2)`, [
      tenant.id,
      [old.id, recent.id],
    ]);
    expect(rows.map((row) => row.payload)).toEqual(['[]', '[]']);

    const retentionMs = system.runtime.config.queue.batchRetentionMs;
    expect(retentionMs).toBe(30 * 86_400_000);
    const beyond = new Date(Date.now() - retentionMs - 60_000);
    await system.runtime.pool.query(`UPDATE ingest_batch SET created_at = $3 WHERE tenant_id = $1 AND id = $2`, [tenant.id, old.id, beyond]);
    // A batch still being applied, as old: never deleted. (Its status time lies ahead, so the recovery sweep leaves it alone.)
    const inFlight = randomUUID();
    await system.runtime.pool.query(
      `INSERT INTO ingest_batch (id, tenant_id, kind, status, item_count, payload, created_at, status_at)
       VALUES ($2, $1, 'balances', 'Processing', 1, '[]', $3, now() + interval '1 day')`,
      [tenant.id, inFlight, beyond],
    );
    const done = await runLedgerMaintenance(system.runtime);
    expect(done.deletedBatches).toBeGreaterThanOrEqual(1);
    const status = (id: string) => system.app.inject({ url: `/api/v2/point-accounts/balances/status/${id}`, headers: tenant.headers });
    expect((await status(old.id)).statusCode).toBe(404);
    expect((await status(recent.id)).statusCode).toBe(200);
    expect((await status(inFlight)).statusCode).toBe(200);
    await system.runtime.pool.query(`DELETE FROM ingest_batch WHERE tenant_id = $1 AND id = $2`, [tenant.id, inFlight]);
  });

  it('records the change between the extreme balances without overflowing', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await postAndWait(tenant, [balance(contact, -2147483648, '2024-01-01T00:00:00Z')]);
    const done = await postAndWait(tenant, [balance(contact, 2147483647, '2024-01-02T00:00:00Z')]);
    expect(done.status).toBe('Completed');
    const { rows } = await system.runtime.pool.query(
      `SELECT h.amount FROM balance_history h JOIN point_account a ON a.tenant_id = h.tenant_id AND a.id = h.account_id WHERE a.tenant_id = $1 ORDER BY h.id`,
      [tenant.id],
    );
    expect(rows).toEqual([{ amount: -2147483648 }, { amount: 4294967295 }]);
  });

  it('answers 400 Too many items above 1000 and stores nothing', async () => {
    const tenant = await createTenant(system.app);
    const items = Array.from({ length: 1001 }, () => balance(randomUUID(), 1, '2024-01-01T00:00:00Z'));
    const response = await post(tenant, items);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ title: 'Too many items', status: 400, detail: 'A batch holds at most 1000 items; this one has 1001' });
    const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM ingest_batch WHERE tenant_id = $1`, [tenant.id]);
    expect(rows[0].n).toBe(0);
  });

  it('answers 400 naming every bad item by index and field, and stores nothing', async () => {
    const tenant = await createTenant(system.app);
    const response = await post(tenant, [
      balance(randomUUID(), 1, '2024-01-01T00:00:00Z'),
      { contactId: 'not-a-uuid', amount: 1.00005, definitionId: 1, timeStamp: '2024-01-01T00:00:00Z' },
      { contactId: randomUUID(), amount: 1, definitionId: 0, timeStamp: '2024-01-01 00:00' },
      { contactId: randomUUID(), amount: 1, timeStamp: '2024-01-01T00:00:00Z' },
    ]);
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.title).toBe('Invalid request');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '[1].amount',
      '[1].contactId',
      '[2].definitionId',
      '[2].timeStamp',
      '[3].definitionId',
    ]);
    const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM ingest_batch WHERE tenant_id = $1`, [tenant.id]);
    expect(rows[0].n).toBe(0);
  });

  it('answers 400 for an empty array, an object body and invalid JSON', async () => {
    const tenant = await createTenant(system.app);
    expect((await post(tenant, [])).json()).toMatchObject({ status: 400, errors: [{ path: 'body', message: 'must contain at least one item' }] });
    expect((await post(tenant, { contactId: randomUUID() })).statusCode).toBe(400);
    const invalid = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: { ...tenant.headers, 'content-type': 'application/json' },
      payload: '[{"contactId": ',
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses balances for an all-transaction tenant', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const response = await post(tenant, [balance(randomUUID(), 1, '2024-01-01T00:00:00Z')]);
    expect(response.statusCode).toBe(400);
    expect(response.json().title).toBe('Wrong point mode');
  });
});

describe('authentication and tenancy', () => {
  it('answers 401 without a key, with a wrong key and with a revoked key', async () => {
    const tenant = await createTenant(system.app);
    const url = `/api/v2/point-accounts?contactId=${randomUUID()}`;
    expect((await system.app.inject({ url })).statusCode).toBe(401);
    expect((await system.app.inject({ url, headers: { apikey: 'pf_wrong' } })).statusCode).toBe(401);
    expect((await system.app.inject({ url, headers: { authorization: `Bearer ${tenant.key}` } })).statusCode).toBe(200);

    const keys = await system.app.inject({ url: `/admin/v1/tenants/${tenant.id}/api-keys`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const revoke = await system.app.inject({
      method: 'DELETE',
      url: `/admin/v1/tenants/${tenant.id}/api-keys/${keys.json()[0].id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(revoke.statusCode).toBe(204);
    const refused = await system.app.inject({ url, headers: tenant.headers });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ title: 'Unauthorized', detail: 'Unknown or revoked API key' });
  });

  it("answers 404 for another tenant's batch and account", async () => {
    const owner = await createTenant(system.app);
    const other = await createTenant(system.app);
    const contact = randomUUID();
    const batch = await postAndWait(owner, [balance(contact, 10, '2024-01-01T00:00:00Z')]);
    const account = (await accountsOf(owner, contact)).items[0];

    for (const url of [`/api/v2/point-accounts/balances/status/${batch.id}`, `/api/v2/point-accounts/${account.id}`]) {
      const response = await system.app.inject({ url, headers: other.headers });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain(contact);
    }
    expect((await accountsOf(other, contact)).totalCount).toBe(0);
  });
});

describe('durability', () => {
  it('completes a batch whose job Redis lost after the 202, and adds no job Redis still holds', async () => {
    await system.stopWorker();
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const response = await post(tenant, [balance(contact, 321, '2024-01-01T00:00:00Z')]);
    expect(response.statusCode).toBe(202);
    expect(await requeueUnfinishedBatches(system.runtime)).toBe(0); // its job still waits in Redis: nothing to add
    await system.loseRedisJobs();
    expect(await system.runtime.ingestQueue.count()).toBe(0);

    await system.startWorker(); // its recovery sweep finds the batch in Postgres
    const done = await waitForBatch(system.app, tenant.headers, response.json().id);
    expect(done.status).toBe('Completed');
    expect((await accountsOf(tenant, contact)).items[0].balance).toBe(321);
  });

  it('processing the same batch twice changes nothing', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const done = await postAndWait(tenant, [balance(contact, 10, '2024-01-01T00:00:00Z'), balance(randomUUID(), 20, '2024-01-01T00:00:00Z')]);
    const snapshot = async () =>
      (
        await system.runtime.pool.query(
          `SELECT a.contact_id, a.balance, a.balance_time, (SELECT count(*) FROM balance_history h WHERE h.tenant_id = a.tenant_id AND h.account_id = a.id) AS history
             FROM point_account a WHERE a.tenant_id = $1 ORDER BY a.contact_id`,
          [tenant.id],
        )
      ).rows;
    const before = await snapshot();

    expect(await balanceAccountToAmountJob(system.runtime, tenant.id, done.id)).toBe('already-final');
    // The worker gets the batch again: compare only once that very job has finished.
    const { config, ingestQueue } = system.runtime;
    const events = new QueueEvents(INGEST_QUEUE, { connection: { url: config.redisUrl }, prefix: config.queue.prefix });
    try {
      await events.waitUntilReady();
      // Kept once done, so its result is still there if it finishes before the wait starts.
      const job = await ingestQueue.add(ingestJobName.balances, { batchId: done.id }, { removeOnComplete: false });
      expect(await job.waitUntilFinished(events, 10_000)).toBe('already-final');
    } finally {
      await events.close();
    }

    expect(await snapshot()).toEqual(before);
    expect(await waitForBatch(system.app, tenant.headers, done.id)).toEqual(done);
  });

  it('applies a batch whose job was queued before jobs carried their tenant (a rolling upgrade)', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await system.stopWorker();
    let id: string;
    try {
      const response = await post(tenant, [balance(contact, 42, '2024-01-01T00:00:00Z')]);
      expect(response.statusCode, response.body).toBe(202);
      id = response.json().id;
      await system.loseRedisJobs();
      // The job as the previous version queued it: the batch id alone. Kept once done, to read what ran.
      await system.runtime.ingestQueue.add(ingestJobName.balances, { batchId: id }, { jobId: id, removeOnComplete: false });
    } finally {
      await system.startWorker();
    }
    expect(await waitForBatch(system.app, tenant.headers, id)).toMatchObject({ status: 'Completed', appliedCount: 1 });
    const job = await system.runtime.ingestQueue.getJob(id);
    expect(job?.data).toEqual({ batchId: id });
    expect(job?.returnvalue).toMatchObject({ status: 'Completed', appliedCount: 1 });
    expect((await accountsOf(tenant, contact)).items[0].balance).toBe(42);
  });

  it('applies overlapping batches sent at once without losing the newest balance', async () => {
    const tenant = await createTenant(system.app);
    const contacts = Array.from({ length: 200 }, () => randomUUID());
    const batches = Array.from({ length: 6 }, (_, n) => [...contacts].reverse().map((contactId) => balance(contactId, n, `2024-01-01T00:00:0${n}Z`)));
    const responses = await Promise.all(batches.map((items) => post(tenant, items)));
    await Promise.all(responses.map((r) => waitForBatch(system.app, tenant.headers, r.json().id)));
    const { rows } = await system.runtime.pool.query(`SELECT DISTINCT balance FROM point_account WHERE tenant_id = $1`, [tenant.id]);
    expect(rows).toEqual([{ balance: 5 }]);
  });
});
