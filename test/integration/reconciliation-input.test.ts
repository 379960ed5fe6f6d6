import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { tableFingerprints } from '../support/tables.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const BASE = '/api/v2/point-accounts/reconciliations';
const PROBLEM = 'application/problem+json';

const inject = (tenant: Tenant, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  system.app.inject({ method, url, headers: tenant.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const line = (balance: number, definitionId = 1, contactId: string = randomUUID()) => ({ contactId, definitionId, balance });

async function openWith(tenant: Tenant, lines: ReturnType<typeof line>[], body: Record<string, unknown> = {}) {
  const opened = await inject(tenant, 'POST', BASE, { asOf: ago(1000), ...body });
  expect(opened.statusCode, opened.body).toBe(201);
  const { id } = opened.json();
  if (lines.length > 0) expect((await inject(tenant, 'POST', `${BASE}/${id}/accounts`, lines)).statusCode).toBe(200);
  return id as string;
}

async function waitFor(tenant: Tenant, id: string) {
  const read = async () => (await inject(tenant, 'GET', `${BASE}/${id}`)).json();
  await expect.poll(async () => (await read()).status, { timeout: 20_000 }).toBeOneOf(['Completed', 'Failed']);
  return read();
}

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain(PROBLEM);
}

describe('reconciliation input', () => {
  it('refuses bad input on every endpoint with a problem naming it, and stores nothing', async () => {
    const tenant = await createTenant(system.app, { definitions: [1] });
    const id = await openWith(tenant, []);
    const before = await tableFingerprints(system.runtime.pool);

    const open = async (body: unknown) => inject(tenant, 'POST', BASE, body);
    for (const [body, path] of [
      [{}, 'asOf'],
      [{ asOf: 'yesterday' }, 'asOf'],
      [{ asOf: '2024-02-30T00:00:00' }, 'asOf'],
      [{ asOf: new Date(Date.now() + 3_600_000).toISOString() }, 'asOf'],
      [{ asOf: ago(1000), scope: 'Partial' }, 'scope'],
      [{ asOf: ago(1000), repair: 'yes' }, 'repair'],
    ] as const) {
      const response = await open(body);
      expectProblem(response, 400);
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expectProblem(await open([]), 400);

    const accounts = (body: unknown, target = id) => inject(tenant, 'POST', `${BASE}/${target}/accounts`, body);
    const bad = await accounts([line(1), { contactId: 'nope', definitionId: 0, balance: 1.00005 }, line(3), { definitionId: 1, balance: 2 ** 31 }]);
    expectProblem(bad, 400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual([
      '[1].contactId',
      '[1].definitionId',
      '[1].balance',
      '[3].contactId',
      '[3].balance',
    ]);
    const unknown = await accounts([line(1), line(2, 9), line(3), line(4, 7)]);
    expectProblem(unknown, 400);
    expect(unknown.json().errors).toEqual([
      { path: '[1].definitionId', message: 'unknown definitionId 9' },
      { path: '[3].definitionId', message: 'unknown definitionId 7' },
    ]);
    expectProblem(await accounts([]), 400);
    expectProblem(await accounts({ contactId: randomUUID(), definitionId: 1, balance: 1 }), 400);
    const tooMany = await accounts(Array.from({ length: 1001 }, () => line(1)));
    expectProblem(tooMany, 400);
    expect(tooMany.json().title).toBe('Too many items');
    expectProblem(await accounts([line(1)], 'not-a-uuid'), 400);
    expectProblem(await accounts([line(1)], randomUUID()), 404);

    expectProblem(await inject(tenant, 'POST', `${BASE}/not-a-uuid/complete`), 400);
    expectProblem(await inject(tenant, 'POST', `${BASE}/${randomUUID()}/complete`), 404);
    expectProblem(await inject(tenant, 'GET', `${BASE}/not-a-uuid`), 400);
    expectProblem(await inject(tenant, 'GET', `${BASE}/${randomUUID()}`), 404);
    expectProblem(await inject(tenant, 'GET', `${BASE}/${id}/drifts?kind=Bogus`), 400);
    expectProblem(await inject(tenant, 'GET', `${BASE}/${id}/drifts?count=0`), 400);
    expectProblem(await inject(tenant, 'GET', `${BASE}/${randomUUID()}/drifts`), 404);
    expectProblem(await inject(tenant, 'GET', `${BASE}?offset=-1`), 400);
    expectProblem(await inject(tenant, 'GET', `${BASE}?count=1001`), 400);

    expect(await tableFingerprints(system.runtime.pool)).toEqual(before);
  });

  it('takes accounts only while Open; an account listed again replaces its line', async () => {
    const tenant = await createTenant(system.app, { definitions: [1] });
    const contact = randomUUID();
    const id = await openWith(tenant, [line(10, 1, contact), line(20, 1, contact)], { scope: 'Listed' });
    const again = await inject(tenant, 'POST', `${BASE}/${id}/accounts`, [line(30, 1, contact)]);
    expect(again.json()).toEqual({ id, accepted: 1 });
    expect((await inject(tenant, 'POST', `${BASE}/${id}/complete`)).statusCode).toBe(202);
    const late = await inject(tenant, 'POST', `${BASE}/${id}/accounts`, [line(40)]);
    expectProblem(late, 409);
    const done = await waitFor(tenant, id);
    expect(done).toMatchObject({ listed: 1, drifted: 1, byKind: { MissingInFollower: 1 } });
    const drifts = (await inject(tenant, 'GET', `${BASE}/${id}/drifts`)).json();
    expect(drifts.items).toEqual([{ contactId: contact, definitionId: 1, masterBalance: 30, followerBalance: 0, difference: 30, kind: 'MissingInFollower' }]);
  });

  it('refuses to open one while the point system is off', async () => {
    const tenant = await createTenant(system.app);
    const off = await system.app.inject({
      method: 'PATCH',
      url: `/admin/v1/tenants/${tenant.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { pointSystemActive: false },
    });
    expect(off.statusCode).toBe(200);
    expectProblem(await inject(tenant, 'POST', BASE, { asOf: ago(1000) }), 400);
  });

  it("answers 404 for another tenant's reconciliation on every endpoint, and never lists it", async () => {
    const owner = await createTenant(system.app);
    const other = await createTenant(system.app);
    const id = await openWith(owner, [line(5)]);
    expectProblem(await inject(other, 'GET', `${BASE}/${id}`), 404);
    expectProblem(await inject(other, 'GET', `${BASE}/${id}/drifts`), 404);
    expectProblem(await inject(other, 'POST', `${BASE}/${id}/accounts`, [line(1)]), 404);
    expectProblem(await inject(other, 'POST', `${BASE}/${id}/complete`), 404);
    expect((await inject(other, 'GET', BASE)).json()).toMatchObject({ items: [], totalCount: 0 });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const viaOther = await system.app.inject({ url: `/admin/v1/tenants/${other.id}/reconciliations/${id}`, headers: admin });
    expectProblem(viaOther, 404);
    // The owner's reconciliation is untouched: still Open, one line.
    expect((await inject(owner, 'GET', `${BASE}/${id}`)).json()).toMatchObject({ status: 'Open' });
  });
});

describe('reconciliation compare, crash-safety', () => {
  it('a compare whose connection dies half-way leaves nothing behind, and the retry repairs once', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contacts = [randomUUID(), randomUUID()];
    const sent = await inject(
      tenant,
      'POST',
      '/api/v2/point-accounts/transactions',
      contacts.map((contactId) => ({
        contactId,
        amount: 10,
        definitionId: 1,
        source: 'Purchase',
        description: 'x',
        timeStamp: ago(60_000),
        validFrom: ago(60_000),
      })),
    );
    await waitForBatch(system.app, tenant.headers, sent.json().id);
    const id = await openWith(tenant, [line(15, 1, contacts[0]), line(10, 1, contacts[1]), line(7)], { repair: true, scope: 'Full' });

    // Holding the drift table makes the compare wait inside its transaction, where it is then cut off.
    const blocker = new pg.Client({ connectionString: system.runtime.config.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN; LOCK TABLE reconciliation_drift IN ACCESS EXCLUSIVE MODE');
      expect((await inject(tenant, 'POST', `${BASE}/${id}/complete`)).statusCode).toBe(202);
      // Asked outside the blocker's transaction, which would see one snapshot of pg_stat_activity throughout.
      const waiting = async () =>
        (
          await system.runtime.pool.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%WITH line AS%'`,
          )
        ).rows;
      await expect.poll(async () => (await waiting()).length, { timeout: 10_000 }).toBe(1);
      await system.runtime.pool.query('SELECT pg_terminate_backend($1)', [(await waiting())[0]!.pid]);

      const { rows } = await blocker.query(`SELECT status, attempts FROM reconciliation WHERE id = $1`, [id]);
      expect(rows[0].status).toBe('Comparing');
      expect((await blocker.query(`SELECT count(*)::int AS n FROM reconciliation_drift WHERE reconciliation_id = $1`, [id])).rows[0].n).toBe(0);
      expect((await blocker.query(`SELECT count(*)::int AS n FROM ledger_entry WHERE source = 'Reconciliation'`)).rows[0].n).toBe(0);
      // The job's retry reaches the lock again before the blocker lets go.
      await expect.poll(async () => (await waiting()).length, { timeout: 10_000 }).toBe(1);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }

    const done = await waitFor(tenant, id);
    expect(done).toMatchObject({ status: 'Completed', drifted: 2, repaired: 2, byKind: { BalanceDiffers: 1, MissingInFollower: 1 } });
    const { rows } = await system.runtime.pool.query(
      `SELECT r.attempts, (SELECT count(*)::int FROM ledger_entry e WHERE e.tenant_id = r.tenant_id AND e.source = 'Reconciliation') AS repairs
         FROM reconciliation r WHERE r.tenant_id = $1 AND r.id = $2`,
      [tenant.id, id],
    );
    expect(rows[0]).toEqual({ attempts: 2, repairs: 2 });
  });

  it('a compare whose job Redis lost is queued again by the recovery sweep', async () => {
    const tenant = await createTenant(system.app);
    await system.stopWorker();
    const id = await openWith(tenant, [line(3)]);
    expect((await inject(tenant, 'POST', `${BASE}/${id}/complete`)).statusCode).toBe(202);
    expect(await system.runtime.reconciliationQueue.getJob(id)).toBeTruthy();
    await system.loseRedisJobs();
    expect(await system.runtime.reconciliationQueue.getJob(id)).toBeFalsy();
    await system.startWorker();
    expect(await waitFor(tenant, id)).toMatchObject({ status: 'Completed', drifted: 1 });
  });
});
