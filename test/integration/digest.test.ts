import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileByDigest } from '../../examples/point-master/digest.ts';
import type { MasterBalance } from '../../examples/point-master/reconcile.ts';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

let system: TestSystem;
let url: string;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  await system.startWorker();
  url = await system.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

async function pushBalances(tenant: Tenant, lines: readonly MasterBalance[], timeStamp: string) {
  for (let start = 0; start < lines.length; start += 1000) {
    const items = lines.slice(start, start + 1000).map((l) => ({ contactId: l.contactId, definitionId: l.definitionId, amount: l.balance, timeStamp }));
    const pushed = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/balances', headers: tenant.headers, payload: items });
    expect(pushed.statusCode, pushed.body).toBe(202);
    expect((await waitForBatch(system.app, tenant.headers, pushed.json().id)).status).toBe('Completed');
  }
}

const digest = (tenant: Tenant, body: unknown) =>
  system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/digests', headers: tenant.headers, payload: body as object });

describe('the follower side of the digest exchange', () => {
  it('answers the test vector of the specification', async () => {
    const tenant = await createTenant(system.app, { definitions: [1, 2] });
    const before = new Date(Date.now() - 7_200_000).toISOString();
    await pushBalances(
      tenant,
      [
        { contactId: '00000000-0000-4000-8000-000000000001', definitionId: 1, balance: 150 },
        { contactId: '00000000-0000-4000-8000-000000000002', definitionId: 1, balance: -30 },
        { contactId: '0a000000-0000-4000-8000-000000000003', definitionId: 2, balance: 7 },
        { contactId: '0b000000-0000-4000-8000-000000000004', definitionId: 1, balance: 0 },
      ],
      HOUR_AGO(),
    );
    const asOf = new Date(Date.now() - 1000).toISOString();

    const whole = await digest(tenant, { asOf, prefixes: [''], depth: 1 });
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json()).toEqual({ asOf, ranges: [{ prefix: '0', count: 3, hash: 'f89219729a5ae8d7' }] });
    expect((await digest(tenant, { asOf, prefixes: [''], depth: 2 })).json().ranges).toEqual([
      { prefix: '00', count: 2, hash: '0a35e5c01479ead9' },
      { prefix: '0a', count: 1, hash: 'ee5c33b285e0fdfe' },
    ]);
    expect((await digest(tenant, { asOf, prefixes: ['0a', '0b'], depth: 1 })).json().ranges).toEqual([{ prefix: '0a0', count: 1, hash: 'ee5c33b285e0fdfe' }]);
    // Before the balances arrived the follower held nothing.
    expect((await digest(tenant, { asOf: before, prefixes: [''], depth: 1 })).json().ranges).toEqual([]);

    const accounts = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/digests/accounts',
      headers: tenant.headers,
      payload: { asOf, prefixes: ['00', '0b'] },
    });
    expect(accounts.json()).toEqual({
      items: [
        { contactId: '00000000-0000-4000-8000-000000000001', definitionId: 1 },
        { contactId: '00000000-0000-4000-8000-000000000002', definitionId: 1 },
      ],
    });
  });

  it('refuses malformed requests with a problem naming the field', async () => {
    const tenant = await createTenant(system.app);
    const asOf = new Date(Date.now() - 1000).toISOString();
    for (const [body, path] of [
      [{ asOf, prefixes: ['0A'], depth: 1 }, 'prefixes[0]'],
      [{ asOf, prefixes: ['0', '00'], depth: 1 }, 'prefixes'],
      [{ asOf, prefixes: ['0', '0'], depth: 1 }, 'prefixes'],
      [{ asOf, prefixes: [], depth: 1 }, 'prefixes'],
      [{ asOf, prefixes: [''], depth: 5 }, 'depth'],
      [{ asOf, prefixes: ['0', '1'], depth: 4 }, 'prefixes'],
      [{ asOf, prefixes: ['0'.repeat(31)], depth: 2 }, 'depth'],
      [{ asOf: 'yesterday', prefixes: [''], depth: 1 }, 'asOf'],
      [{ asOf: new Date(Date.now() + 3_600_000).toISOString(), prefixes: [''], depth: 1 }, 'asOf'],
    ] as const) {
      const response = await digest(tenant, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  it('names at most 10,000 accounts in one answer', async () => {
    const tenant = await createTenant(system.app);
    await system.runtime.pool.query(
      `INSERT INTO point_account (tenant_id, contact_id, definition_id, balance, balance_time, last_change)
       SELECT $1, gen_random_uuid(), 1, 5, now() - interval '1 hour', 5 FROM generate_series(1, 10001)`,
      [tenant.id],
    );
    const asOf = new Date(Date.now() - 1000).toISOString();
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/digests/accounts',
      headers: tenant.headers,
      payload: { asOf, prefixes: [''] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ path: 'prefixes', message: 'must name ranges holding at most 10000 accounts together' }]);
    expect((await digest(tenant, { asOf, prefixes: [''], depth: 1 })).json().ranges.reduce((n: number, r: { count: number }) => n + r.count, 0)).toBe(10001);
  });
});

describe('the reference master reconciles by digest', () => {
  it('finds planted drifts among 3000 accounts, reconciles only their ranges, and after the repair finds none (balance-only)', async () => {
    const tenant = await createTenant(system.app);
    const follower = { url, apiKey: tenant.key };
    const books: MasterBalance[] = Array.from({ length: 3000 }, (_, i) => ({ contactId: randomUUID(), definitionId: 1, balance: (i % 997) + 1 }));
    // Engage contact ids need not be RFC 4122 uuids (version and variant nibbles of 0): the answers must carry them too.
    books[10]!.contactId = `12345678-9abc-0def-0${randomUUID().slice(20)}`;
    const followerOnly = { contactId: randomUUID(), definitionId: 1, balance: 55 };
    const followerZero = { contactId: randomUUID(), definitionId: 1, balance: 0 };
    await pushBalances(tenant, [...books, followerOnly, followerZero], HOUR_AGO());

    const master = books.map((line) => ({ ...line }));
    const changed = [master[10]!, master[1500]!, master[2999]!];
    for (const line of changed) line.balance += 5;
    const masterOnly = { contactId: randomUUID(), definitionId: 1, balance: 40 };
    const masterZero = { contactId: randomUUID(), definitionId: 1, balance: 0 };
    master.push(masterOnly, masterZero);
    const asOf = new Date(Date.now() - 1000);

    const found = await reconcileByDigest(follower, master, { asOf, repair: true, firstDepth: 2, depth: 1, leafSize: 8 });
    const drifted = found.drifts.map((d) => ({ contactId: d.contactId, masterBalance: d.masterBalance, followerBalance: d.followerBalance, kind: d.kind }));
    const sort = (list: { contactId: string }[]) => [...list].sort((a, b) => a.contactId.localeCompare(b.contactId));
    expect(sort(drifted)).toEqual(
      sort([
        ...changed.map((line) => ({ contactId: line.contactId, masterBalance: line.balance, followerBalance: line.balance - 5, kind: 'BalanceDiffers' })),
        { contactId: masterOnly.contactId, masterBalance: 40, followerBalance: 0, kind: 'MissingInFollower' },
        { contactId: followerOnly.contactId, masterBalance: 0, followerBalance: 55, kind: 'BalanceDiffers' },
      ]),
    );
    expect(found.reconciliation).toMatchObject({ scope: 'Listed', status: 'Completed', drifted: 5, repaired: 5 });
    // Only the accounts of the differing ranges were listed, and far fewer bytes went out than a Full upload of the books.
    expect(found.finding.lines.length).toBeLessThan(60);
    expect(found.traffic.sent).toBeLessThan(JSON.stringify(master).length / 10);

    const again = await reconcileByDigest(follower, master, { asOf, repair: false, firstDepth: 2, depth: 1, leafSize: 8 });
    expect(again.finding.lines).toEqual([]);
    expect(again.reconciliation).toBeNull();
  });

  it('hashes the figure the compare uses in all-transaction mode: pending rows do not count', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const follower = { url, apiKey: tenant.key };
    const contacts = Array.from({ length: 200 }, () => randomUUID());
    const later = new Date(Date.now() + 14 * 86_400_000).toISOString();
    const rows = contacts.flatMap((contactId) => [
      { contactId, definitionId: 1, amount: 100, source: 'Purchase', description: 'Jeans', timeStamp: HOUR_AGO() },
      { contactId, definitionId: 1, amount: 40, source: 'Purchase', description: 'Shirt', timeStamp: HOUR_AGO(), validFrom: later },
      { contactId, definitionId: 1, amount: -30, source: 'Return', description: 'Returned jeans', timeStamp: HOUR_AGO() },
    ]);
    for (let start = 0; start < rows.length; start += 300) {
      const pushed = await system.app.inject({
        method: 'POST',
        url: '/api/v2/point-accounts/transactions',
        headers: tenant.headers,
        payload: rows.slice(start, start + 300),
      });
      expect(pushed.statusCode, pushed.body).toBe(202);
      const status = async () =>
        (await system.app.inject({ url: `/api/v2/point-accounts/transactions/status/${pushed.json().id}`, headers: tenant.headers })).json().status;
      await expect.poll(status, { timeout: 20_000 }).toBe('Completed');
    }
    const asOf = new Date();
    const master = contacts.map((contactId) => ({ contactId, definitionId: 1, balance: 70 }));
    expect((await reconcileByDigest(follower, master, { asOf, repair: false })).finding.lines).toEqual([]);

    master[42]!.balance = 110;
    const found = await reconcileByDigest(follower, master, { asOf, repair: false });
    expect(found.drifts).toMatchObject([{ contactId: contacts[42], masterBalance: 110, followerBalance: 70, kind: 'BalanceDiffers' }]);
  });
});
