import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile as masterReconcile } from '../../examples/point-master/reconcile.ts';
import { PointMasterStore } from '../../examples/point-master/store.ts';
import { reconciliationCompareJob } from '../../src/jobs/reconciliation.job.ts';
import { runCommand } from '../support/cli.ts';
import { ADMIN_TOKEN, createTenant, processEnv, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, HTML, signIn, signInAdmin } from '../support/ui.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const BASE = '/api/v2/point-accounts/reconciliations';

const inject = (tenant: Tenant, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  system.app.inject({ method, url, headers: tenant.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

async function open(tenant: Tenant, body: { asOf: string; scope?: 'Listed' | 'Full'; repair?: boolean }) {
  const response = await inject(tenant, 'POST', BASE, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

async function list(tenant: Tenant, id: string, items: { contactId: string; definitionId: number; balance: number }[]) {
  for (let i = 0; i < items.length; i += 1000) {
    const response = await inject(tenant, 'POST', `${BASE}/${id}/accounts`, items.slice(i, i + 1000));
    expect(response.statusCode, response.body).toBe(200);
  }
}

async function waitForReconciliation(tenant: Tenant, id: string) {
  const read = async () => (await inject(tenant, 'GET', `${BASE}/${id}`)).json();
  await expect.poll(async () => (await read()).status, { timeout: 20_000 }).toBeOneOf(['Completed', 'Failed']);
  return read();
}

async function reconcile(tenant: Tenant, asOf: string, scope: 'Listed' | 'Full', repair: boolean, items: Parameters<typeof list>[2]) {
  const id = await open(tenant, { asOf, scope, repair });
  await list(tenant, id, items);
  const completed = await inject(tenant, 'POST', `${BASE}/${id}/complete`);
  expect(completed.statusCode, completed.body).toBe(202);
  expect(completed.json().status).toBe('Comparing');
  return { id, result: await waitForReconciliation(tenant, id) };
}

async function driftsOf(tenant: Tenant, id: string, kind?: string) {
  const response = await inject(tenant, 'GET', `${BASE}/${id}/drifts?count=1000${kind ? `&kind=${kind}` : ''}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
/** Contact ids that sort in the order of their names, so drift lists (ordered by contact) read as expected. */
const contact = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const [A, B, C, D, G, H, K] = [1, 2, 3, 4, 7, 8, 11].map(contact) as [string, string, string, string, string, string, string];

async function ledgerRows(tenant: Tenant, source: string) {
  const { rows } = await system.runtime.pool.query(
    `SELECT a.contact_id, a.definition_id, e.amount, e.type, e.description, e.transaction_date, e.valid_from, e.valid_to
       FROM ledger_entry e JOIN point_account a ON a.id = e.account_id WHERE e.tenant_id = $1 AND e.source = $2 ORDER BY a.contact_id, a.definition_id`,
    [tenant.id, source],
  );
  return rows;
}

describe('reconciliation, all-transaction mode', () => {
  it('reports injected drift exactly, repairs it once, and a second reconciliation finds none', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
    const t0 = ago(3_600_000);
    const asOf = ago(60_000);
    const row = (contactId: string, amount: number, definitionId = 1, at = t0) => ({
      contactId,
      amount,
      definitionId,
      source: 'Purchase',
      description: 'Receipt',
      timeStamp: at,
      validFrom: at,
    });
    const sent = await inject(tenant, 'POST', '/api/v2/point-accounts/transactions', [
      row(A, 100),
      row(A, 40, 2),
      row(B, 60),
      row(D, 25),
      row(D, 500, 1, new Date().toISOString()), // after asOf: not part of the balance as of asOf
      { ...row(K, 30), validFrom: new Date(Date.now() + 86_400_000).toISOString() }, // pending at asOf
      // Rows the master never recorded:
      row(B, 15),
      row(H, 70, 2),
    ]);
    expect(sent.statusCode, sent.body).toBe(202);
    expect((await waitForBatch(system.app, tenant.headers, sent.json().id)).status).toBe('Completed');

    // The master's view: A/1 changed without a transaction being sent, G never reached the follower, C is zero on both sides.
    const master = [
      { contactId: A, definitionId: 1, balance: 130 },
      { contactId: A, definitionId: 2, balance: 40 },
      { contactId: B, definitionId: 1, balance: 60 },
      { contactId: C, definitionId: 1, balance: 0 },
      { contactId: D, definitionId: 1, balance: 25 },
      { contactId: G, definitionId: 1, balance: 50 },
      { contactId: K, definitionId: 1, balance: 0 },
    ];

    const full = await reconcile(tenant, asOf, 'Full', false, master);
    expect(full.result).toMatchObject({
      status: 'Completed',
      scope: 'Full',
      repair: false,
      asOf,
      listed: 7,
      compared: 8,
      matched: 4,
      drifted: 4,
      byKind: { BalanceDiffers: 2, MissingInFollower: 1, UnknownToMaster: 1 },
      repaired: 0,
    });
    expect(full.result.completedAt).toEqual(expect.any(String));
    expect(full.result).not.toHaveProperty('error');
    const drifts = await driftsOf(tenant, full.id);
    expect(drifts).toMatchObject({ totalCount: 4, offset: 0, count: 1000 });
    expect(drifts.items).toEqual([
      { contactId: A, definitionId: 1, accountId: expect.any(Number), masterBalance: 130, followerBalance: 100, difference: 30, kind: 'BalanceDiffers' },
      { contactId: B, definitionId: 1, accountId: expect.any(Number), masterBalance: 60, followerBalance: 75, difference: -15, kind: 'BalanceDiffers' },
      { contactId: G, definitionId: 1, masterBalance: 50, followerBalance: 0, difference: 50, kind: 'MissingInFollower' },
      { contactId: H, definitionId: 2, accountId: expect.any(Number), masterBalance: 0, followerBalance: 70, difference: -70, kind: 'UnknownToMaster' },
    ]);
    expect((await driftsOf(tenant, full.id, 'MissingInFollower')).items.map((d: { contactId: string }) => d.contactId)).toEqual([G]);
    expect(await ledgerRows(tenant, 'Reconciliation')).toEqual([]);

    // Listed: the follower's extra account is not looked at.
    const listed = await reconcile(tenant, asOf, 'Listed', false, master);
    expect(listed.result).toMatchObject({ compared: 7, matched: 4, drifted: 3, byKind: { BalanceDiffers: 2, MissingInFollower: 1, UnknownToMaster: 0 } });

    const repair = await reconcile(tenant, asOf, 'Full', true, master);
    expect(repair.result).toMatchObject({ drifted: 4, repaired: 4 });
    const repairs = await ledgerRows(tenant, 'Reconciliation');
    expect(repairs.map((r) => [r.contact_id, r.definition_id, r.amount, r.type])).toEqual([
      [A, 1, 30, 'Addition'],
      [B, 1, -15, 'Deduction'],
      [G, 1, 50, 'Addition'],
      [H, 2, -70, 'Deduction'],
    ]);
    for (const r of repairs) {
      expect(r.transaction_date.toISOString()).toBe(asOf);
      expect(r.valid_from.toISOString()).toBe(asOf);
      expect(r.valid_to).toBeNull();
      expect(r.description).toContain(repair.id);
    }

    // Completing the repair run again, or its job running again, changes nothing.
    const again = await inject(tenant, 'POST', `${BASE}/${repair.id}/complete`);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(repair.result);
    expect(await reconciliationCompareJob(system.runtime, tenant.id, repair.id)).toBe('already-final');
    expect(await ledgerRows(tenant, 'Reconciliation')).toHaveLength(4);

    const after = await reconcile(tenant, asOf, 'Full', false, master);
    expect(after.result).toMatchObject({ drifted: 0, matched: after.result.compared, byKind: { BalanceDiffers: 0, MissingInFollower: 0, UnknownToMaster: 0 } });
    expect((await driftsOf(tenant, after.id)).items).toEqual([]);

    // The balances read now moved by the same differences (D keeps its row sent after asOf).
    const accounts = await inject(tenant, 'GET', `/api/v2/point-accounts?contactId=${G}`);
    expect(accounts.json().items.map((a: { balance: number }) => a.balance)).toEqual([50]);

    const all = await inject(tenant, 'GET', `${BASE}?count=2`);
    expect(all.json()).toMatchObject({ totalCount: 4, offset: 0, count: 2 });
    expect(all.json().items.map((r: { id: string }) => r.id)).toEqual([after.id, repair.id]);
    // The master's sync state names the newest reconciliation too.
    expect((await inject(tenant, 'GET', '/api/v2/point-accounts/sync')).json().lastReconciliation).toEqual(after.result);
  });
});

describe('reconciliation, balance-only mode', () => {
  it('compares the balance as of asOf, repairs through the ordering rule, and a second reconciliation finds none', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only', definitions: [1, 2] });
    const t0 = ago(3_600_000);
    const asOf = ago(60_000);
    const balance = (contactId: string, amount: number, definitionId = 1, timeStamp = t0) => ({ contactId, amount, definitionId, timeStamp });
    const sent = await inject(tenant, 'POST', '/api/v2/point-accounts/balances', [
      balance(A, 100),
      balance(B, 60),
      balance(D, 25),
      balance(H, 70, 2), // the master never had it
    ]);
    expect(sent.statusCode).toBe(202);
    await waitForBatch(system.app, tenant.headers, sent.json().id);
    // D's balance changes after asOf: as of asOf it was still 25.
    const later = await inject(tenant, 'POST', '/api/v2/point-accounts/balances', [balance(D, 999, 1, ago(1000))]);
    await waitForBatch(system.app, tenant.headers, later.json().id);

    const master = [
      { contactId: A, definitionId: 1, balance: 130 },
      { contactId: B, definitionId: 1, balance: 60 },
      { contactId: C, definitionId: 1, balance: 0 },
      { contactId: D, definitionId: 1, balance: 25 },
      { contactId: G, definitionId: 2, balance: 50 },
    ];
    const full = await reconcile(tenant, asOf, 'Full', false, master);
    expect(full.result).toMatchObject({
      listed: 5,
      compared: 6,
      matched: 3,
      drifted: 3,
      byKind: { BalanceDiffers: 1, MissingInFollower: 1, UnknownToMaster: 1 },
    });
    expect((await driftsOf(tenant, full.id)).items).toEqual([
      { contactId: A, definitionId: 1, accountId: expect.any(Number), masterBalance: 130, followerBalance: 100, difference: 30, kind: 'BalanceDiffers' },
      { contactId: G, definitionId: 2, masterBalance: 50, followerBalance: 0, difference: 50, kind: 'MissingInFollower' },
      { contactId: H, definitionId: 2, accountId: expect.any(Number), masterBalance: 0, followerBalance: 70, difference: -70, kind: 'UnknownToMaster' },
    ]);

    const repair = await reconcile(tenant, asOf, 'Full', true, master);
    expect(repair.result).toMatchObject({ drifted: 3, repaired: 3 });
    const { rows: history } = await system.runtime.pool.query(
      `SELECT a.contact_id, h.amount, h.balance, h.master_time, h.batch_id FROM balance_history h JOIN point_account a ON a.tenant_id = h.tenant_id AND a.id = h.account_id
        WHERE a.tenant_id = $1 AND h.source = 'Reconciliation' ORDER BY a.contact_id`,
      [tenant.id],
    );
    expect(history.map((h) => [h.contact_id, h.amount, h.balance, h.master_time.toISOString(), h.batch_id])).toEqual([
      [A, 30, 130, asOf, repair.id],
      [G, 50, 50, asOf, repair.id],
      [H, -70, 0, asOf, repair.id],
    ]);

    expect((await inject(tenant, 'POST', `${BASE}/${repair.id}/complete`)).json()).toEqual(repair.result);
    expect(await reconciliationCompareJob(system.runtime, tenant.id, repair.id)).toBe('already-final');
    const after = await reconcile(tenant, asOf, 'Full', false, master);
    expect(after.result).toMatchObject({ drifted: 0 });

    // A balance newer than asOf wins over the repair: D is at 999 since after asOf, and stays there.
    const newer = await reconcile(tenant, asOf, 'Listed', true, [{ contactId: D, definitionId: 1, balance: 10 }]);
    expect(newer.result).toMatchObject({ drifted: 1, repaired: 0 });
    const d = await inject(tenant, 'GET', `/api/v2/point-accounts?contactId=${D}`);
    expect(d.json().items[0].balance).toBe(999);
  });
});

describe('reconciliations for operators and on the contact card', () => {
  it('shows the same in the admin API, the CLI, /ui/admin, the card and the metrics', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only', definitions: [1, 2] });
    const t0 = ago(3_600_000);
    const sent = await inject(tenant, 'POST', '/api/v2/point-accounts/balances', [{ contactId: A, amount: 100, definitionId: 1, timeStamp: t0 }]);
    await waitForBatch(system.app, tenant.headers, sent.json().id);
    const master = [
      { contactId: A, definitionId: 1, balance: 130 },
      { contactId: A, definitionId: 2, balance: 20 },
    ];
    const { id, result } = await reconcile(tenant, ago(60_000), 'Full', false, master);
    expect(result).toMatchObject({ drifted: 2, byKind: { BalanceDiffers: 1, MissingInFollower: 1 } });

    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const listed = await system.app.inject({ url: `/admin/v1/tenants/${tenant.id}/reconciliations`, headers: admin });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({ items: [result], totalCount: 1, offset: 0, count: 100 });
    const shown = await system.app.inject({ url: `/admin/v1/tenants/${tenant.id}/reconciliations/${id}?kind=BalanceDiffers`, headers: admin });
    expect(shown.json()).toEqual({
      ...result,
      drifts: {
        items: [
          { contactId: A, definitionId: 1, accountId: expect.any(Number), masterBalance: 130, followerBalance: 100, difference: 30, kind: 'BalanceDiffers' },
        ],
        totalCount: 1,
        offset: 0,
        count: 100,
      },
    });
    expect((await system.app.inject({ url: `/admin/v1/tenants/${randomUUID()}/reconciliations`, headers: admin })).statusCode).toBe(404);

    const cli = async (...args: string[]) => {
      const { code, stdout, stderr } = await runCommand(processEnv(system), args);
      expect(code, stderr).toBe(0);
      return JSON.parse(stdout);
    };
    expect(await cli('reconciliations:list', '--tenant', tenant.id)).toEqual(listed.json());
    expect(await cli('reconciliations:show', '--tenant', tenant.id, '--id', id, '--kind', 'BalanceDiffers')).toEqual(shown.json());

    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const overview = await system.app.inject({ url: '/ui/admin', headers: { ...HTML, cookie: operator.cookie } });
    expect(overview.statusCode).toBe(200);
    const row = new RegExp(`<tr data-reconciliation-id="${id}">([\\s\\S]*?)</tr>`).exec(overview.body)?.[1] ?? '';
    expect(row).toContain(tenant.name);
    expect(row).toContain('Drifted, not repaired');
    expect(row).toContain(`href="/ui/admin/reconciliations/${tenant.id}/${id}"`);
    const driftsPage = await system.app.inject({
      url: `/ui/admin/reconciliations/${tenant.id}/${id}?kind=MissingInFollower`,
      headers: { ...HTML, cookie: operator.cookie },
    });
    expect(driftsPage.statusCode).toBe(200);
    expect(driftsPage.body).toContain(A);
    expect(driftsPage.body).toContain('Showing 1–1 of 1');
    const otherTenant = await createTenant(system.app);
    const foreign = await system.app.inject({ url: `/ui/admin/reconciliations/${otherTenant.id}/${id}`, headers: { ...HTML, cookie: operator.cookie } });
    expect(foreign.statusCode).toBe(404);

    const user = await createUiUser(system.app, tenant.id);
    const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
    const card = await system.app.inject({ url: `/ui/contacts/${A}`, headers: { ...HTML, cookie: session.cookie } });
    expect(card.statusCode).toBe(200);
    const tile = /<a class="account-tile[^"]*"[^>]*data-definition-id="1">([\s\S]*?)<\/a>/.exec(card.body)?.[1] ?? '';
    expect(/data-testid="drift-master">([^<]*)</.exec(tile)?.[1]).toBe('130');
    expect(/data-testid="drift-follower">([^<]*)</.exec(tile)?.[1]).toBe('100');
    expect(card.body).toMatch(/data-testid="missing-accounts">[\s\S]*Definition 2<\/bdi>: master 20/);
    // An account the reconciliation found in step carries no mark.
    const calm = await system.app.inject({ url: `/ui/contacts/${B}`, headers: { ...HTML, cookie: session.cookie } });
    expect(calm.body).not.toContain('data-testid="drift"');

    const metrics = await system.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/pf_reconciliations_total\{outcome="Completed"\} [1-9]/);
    expect(metrics.body).toMatch(/pf_reconciliation_drifted_accounts_total\{kind="MissingInFollower"\} [1-9]/);
  });
});

describe('the reference point master', () => {
  it("reconciles its books with the follower: the reconcile command prints the report, and a repair brings the follower to the master's figures", async () => {
    const followerUrl = await system.app.listen({ host: '127.0.0.1', port: 0 });
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const sent = await inject(tenant, 'POST', '/api/v2/point-accounts/balances', [
      { contactId: A, amount: 10, definitionId: 1, timeStamp: ago(3_600_000) },
      { contactId: B, amount: 5, definitionId: 1, timeStamp: ago(3_600_000) },
    ]);
    await waitForBatch(system.app, tenant.headers, sent.json().id);

    // The master applied adjustments whose balances never reached the follower.
    const store = new PointMasterStore();
    const adjust = (contactId: string, amount: number) =>
      store.apply(randomUUID(), { ContactId: contactId, Amount: amount, Description: 'x', Source: 'Manual', PointDefinitionId: 1 }, new Date());
    adjust(A, 10);
    adjust(A, 15);
    adjust(B, 5);
    adjust(C, 7);
    const dir = await mkdtemp(path.join(tmpdir(), 'pf-reconcile-'));
    try {
      const file = path.join(dir, 'balances.json');
      await writeFile(file, JSON.stringify(store.accounts()));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'examples/point-master/reconcile.ts', '--follower-url', followerUrl, '--balances', file, '--scope', 'Full', '--as-of', ago(1000)],
        { env: { ...process.env, FOLLOWER_API_KEY: tenant.key } },
      );
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^Reconciliation [0-9a-f-]{36} as of .* \(Full\): Completed$/);
      expect(lines[1]).toBe('  listed 3, compared 3, matched 1, drifted 2');
      expect(lines.slice(2)).toEqual([
        `  BalanceDiffers    ${A} definition 1: master 25, follower 10 (+15)`,
        `  MissingInFollower ${C} definition 1: master 7, follower 0 (+7)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const repaired = await masterReconcile({ url: followerUrl, apiKey: tenant.key }, store.accounts(), {
      asOf: new Date(Date.now() - 1000),
      scope: 'Full',
      repair: true,
      pollMs: 50,
    });
    expect(repaired.reconciliation).toMatchObject({ status: 'Completed', drifted: 2, repaired: 2 });
    const check = await masterReconcile({ url: followerUrl, apiKey: tenant.key }, store.accounts(), {
      asOf: new Date(),
      scope: 'Full',
      repair: false,
      pollMs: 50,
    });
    expect(check.reconciliation).toMatchObject({ drifted: 0, compared: 3 });
    expect(check.drifts).toEqual([]);
  });
});
