import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expectFailedAnswerStoresNothing } from '../support/answers.ts';
import { listRoutes } from '../support/routes.ts';
import { ADMIN_TOKEN, adminPost, createTenant, startSystem } from '../support/system.ts';
import { logRowChanges } from '../support/tables.ts';
import { cookieOf, createUiUser, csrfOf, form, FORM, HTML, signIn, signInAdmin, type UiSession } from '../support/ui.ts';

/**
 * No 5xx once something is committed, for the HTML forms under /ui: every
 * form post's answer (its page, its redirect, or the page script's JSON) is
 * made to fail where it is built, and the 5xx that follows must leave every
 * table as it was, so a retry (a browser's resend, a second click) does not
 * store the thing twice, nor show a secret that was stored without being
 * seen. The same request without the failure then answers as it normally
 * does and, but for the forms that only read, writes.
 */

const injected = vi.hoisted(() => ({ failing: false }));

vi.mock('../../src/routes/ui/forms.ts', async (importOriginal) => {
  const forms = await importOriginal<typeof import('../../src/routes/ui/forms.ts')>();
  const failing =
    <A extends unknown[], R>(build: (...args: A) => R) =>
    (...args: A): R => {
      if (injected.failing) throw new Error('injected failure of the page');
      return build(...args);
    };
  return { ...forms, answerPage: failing(forms.answerPage), redirectTo: failing(forms.redirectTo), answerJson: failing(forms.answerJson) };
});

const system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
afterAll(() => system.close());
const { app } = system;
const { pool } = system.runtime;
const rowChanges = await logRowChanges(pool);

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// The queue dashboard's calls change jobs in Redis only: no table, and no page of ours.
const formPosts = listRoutes(app).filter((route) => WRITES.has(route.method) && route.url.startsWith('/ui/') && !route.url.startsWith('/ui/admin/queues/'));

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const balanceTenant = () => createTenant(app, { mode: 'balance-only' });
const ledgerTenant = () => createTenant(app, { mode: 'all-transaction' });

/** A form post as a browser sends it, signed in with `session`. */
const post = (session: UiSession, url: string, fields: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url,
  headers: { ...HTML, ...FORM, cookie: session.cookie },
  payload: form({ _csrf: session.csrf, ...fields }),
});

/** A fresh operator session for each form, so one form's session bookkeeping is not another's. */
const operator = () => signInAdmin(app, ADMIN_TOKEN);
const operatorPost = async (url: string, fields: Record<string, string> = {}) => post(await operator(), url, fields);

/** A contact card user of `tenant`, signed in. */
async function cardUser(tenant: Tenant): Promise<UiSession> {
  const user = await createUiUser(app, tenant.id);
  return signIn(app, { tenant: tenant.name, username: user.username, password: user.password });
}

/** A sign-in form as its page hands it out (the login CSRF cookie and field), posted with `fields`. */
async function signInForm(path: '/ui/login' | '/ui/admin/login', fields: Record<string, string>): Promise<InjectOptions> {
  const page = await app.inject({ url: path, headers: HTML });
  expect(page.statusCode, page.body).toBe(200);
  return {
    method: 'POST',
    url: path,
    headers: { ...HTML, ...FORM, cookie: cookieOf(page, 'pf_login_csrf')! },
    payload: form({ _csrf: csrfOf(page.body), ...fields }),
  };
}

/** A webhook delivery of `tenant` left Failed, as the worker leaves one after its last attempt. */
async function failedDelivery(tenant: Tenant): Promise<string> {
  const sent = await app.inject({
    method: 'POST',
    url: '/api/v2/point-accounts/adjustments',
    headers: tenant.headers,
    payload: { contactId: randomUUID(), definitionId: 1, amount: 5, description: 'Goodwill', source: 'Manual', userId: randomUUID(), userName: 'Ann' },
  });
  expect(sent.statusCode, sent.body).toBe(202);
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE webhook_delivery SET state = 'Failed' WHERE tenant_id = $1 AND adjustment_id = $2 RETURNING id::text`,
    [tenant.id, sent.json<{ id: string }>().id],
  );
  return rows[0]!.id;
}

/** A completed reconciliation of `tenant` that found one drifted account, compared by a worker started for it. */
async function driftedReconciliation(tenant: Tenant): Promise<string> {
  const api = (url: string, payload?: object) =>
    app.inject({ method: 'POST', url: `/api/v2/point-accounts/reconciliations${url}`, headers: tenant.headers, ...(payload && { payload }) });
  const opened = await api('', { asOf: new Date(Date.now() - 1000).toISOString(), scope: 'Listed' });
  expect(opened.statusCode, opened.body).toBe(201);
  const { id } = opened.json<{ id: string }>();
  expect((await api(`/${id}/accounts`, [{ contactId: randomUUID(), definitionId: 1, balance: 3 }])).statusCode).toBeLessThan(300);
  expect((await api(`/${id}/complete`)).statusCode).toBeLessThan(300);
  await system.startWorker();
  try {
    await expect
      .poll(async () => (await app.inject({ url: `/api/v2/point-accounts/reconciliations/${id}`, headers: tenant.headers })).json().status, {
        timeout: 20_000,
      })
      .toBe('Completed');
  } finally {
    await system.stopWorker();
  }
  return id;
}

const subscribed = async (tenant: Tenant): Promise<string> =>
  (await adminPost(app, `/tenants/${tenant.id}/subscriptions`, { url: 'https://subscriber.example/events', events: ['point.balance.updated'] })).id;

/**
 * A request for every form post that writes when it succeeds (made ready
 * beforehand, outside the failure); a new form post fails the test below
 * until it has one here.
 */
const requests: Record<string, () => Promise<InjectOptions>> = {
  'POST /ui/login': async () => {
    const tenant = await balanceTenant();
    const user = await createUiUser(app, tenant.id);
    return signInForm('/ui/login', { tenant: tenant.name, username: user.username, password: user.password });
  },
  'POST /ui/admin/login': () => signInForm('/ui/admin/login', { token: ADMIN_TOKEN }),
  'POST /ui/logout': async () => post(await cardUser(await balanceTenant()), '/ui/logout'),
  'POST /ui/admin/logout': () => operatorPost('/ui/admin/logout'),
  'POST /ui/contacts/search': async () => post(await cardUser(await balanceTenant()), '/ui/contacts/search', { q: randomUUID() }),
  'POST /ui/contacts/:contactId/adjustments': async () =>
    post(await cardUser(await balanceTenant()), `/ui/contacts/${randomUUID()}/adjustments`, {
      definitionId: '1',
      direction: 'give',
      amount: '5',
      description: 'Goodwill',
      idempotencyKey: randomUUID(),
    }),
  'POST /ui/admin/reconciliations/:tenantId/:id/repair': async () => {
    const tenant = await balanceTenant();
    return operatorPost(`/ui/admin/reconciliations/${tenant.id}/${await driftedReconciliation(tenant)}/repair`);
  },
  'POST /ui/admin/deliveries/replay': async () => {
    const tenant = await balanceTenant();
    return operatorPost('/ui/admin/deliveries/replay', { tenantId: tenant.id, id: await failedDelivery(tenant) });
  },
  'POST /ui/admin/deliveries/replay-failed': async () => {
    const tenant = await balanceTenant();
    await failedDelivery(tenant);
    return operatorPost('/ui/admin/deliveries/replay-failed', { tenantId: tenant.id });
  },
  'POST /ui/admin/tenants': () => operatorPost('/ui/admin/tenants', { name: `t-${randomUUID().slice(0, 8)}`, mode: 'balance-only' }),
  'POST /ui/admin/tenants/:tenantId/api-keys': async () => operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/api-keys`, { name: 'another' }),
  'POST /ui/admin/tenants/:tenantId/api-keys/:id/revoke': async () => {
    const tenant = await balanceTenant();
    const key = await adminPost(app, `/tenants/${tenant.id}/api-keys`, { name: 'to revoke' });
    return operatorPost(`/ui/admin/tenants/${tenant.id}/api-keys/${key.id}/revoke`);
  },
  // An empty password field: a generated one, shown once on the tenant's page.
  'POST /ui/admin/tenants/:tenantId/users': async () =>
    operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/users`, { username: `u-${randomUUID().slice(0, 8)}`, displayName: 'Ann', password: '' }),
  'POST /ui/admin/tenants/:tenantId/users/:id/disable': async () => {
    const tenant = await balanceTenant();
    return operatorPost(`/ui/admin/tenants/${tenant.id}/users/${(await createUiUser(app, tenant.id)).id}/disable`);
  },
  'POST /ui/admin/tenants/:tenantId/users/:id/enable': async () => {
    const tenant = await balanceTenant();
    const user = await createUiUser(app, tenant.id);
    const disabled = await app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/users/${user.id}/disable`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    return operatorPost(`/ui/admin/tenants/${tenant.id}/users/${user.id}/enable`);
  },
  'POST /ui/admin/tenants/:tenantId/users/:id/password': async () => {
    const tenant = await balanceTenant();
    return operatorPost(`/ui/admin/tenants/${tenant.id}/users/${(await createUiUser(app, tenant.id)).id}/password`, { password: '' });
  },
  'POST /ui/admin/tenants/:tenantId/setup/settings': async () =>
    operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/setup/settings`, { timeZone: 'Europe/Oslo', pointSystemActive: 'on' }),
  'POST /ui/admin/tenants/:tenantId/setup/definitions': async () =>
    operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/setup/definitions`, { id: '7', name: 'Seven' }),
  // The first webhook: its key and secret, shown once on the setup page.
  'POST /ui/admin/tenants/:tenantId/setup/webhook': async () =>
    operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/setup/webhook`, { url: 'https://master.example/hook' }),
  'POST /ui/admin/tenants/:tenantId/setup/webhook/rotate': async () => {
    const tenant = await balanceTenant();
    const set = await app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/webhook`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { url: 'https://master.example/hook' },
    });
    expect(set.statusCode, set.body).toBe(200);
    return operatorPost(`/ui/admin/tenants/${tenant.id}/setup/webhook/rotate`);
  },
  'POST /ui/admin/tenants/:tenantId/setup/points-log': async () =>
    operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/setup/points-log`, {
      urlTemplate: 'https://master.example/points/{contactId}',
      authHeader: 'Authorization: Bearer a-secret',
    }),
  'POST /ui/admin/tenants/:tenantId/setup/levels': async () =>
    operatorPost(`/ui/admin/tenants/${(await ledgerTenant()).id}/setup/levels`, {
      definitionId: '1',
      basis: 'PointsEarned',
      windowType: 'Rolling',
      windowMonths: '12',
      levels: 'member; Member; 0\ngold; Gold; 500',
    }),
  'POST /ui/admin/tenants/:tenantId/subscriptions': async () =>
    operatorPost(`/ui/admin/tenants/${(await balanceTenant()).id}/subscriptions`, {
      url: 'https://subscriber.example/events',
      'event.point.balance.updated': 'on',
    }),
  'POST /ui/admin/tenants/:tenantId/subscriptions/:id/rotate': async () => {
    const tenant = await balanceTenant();
    return operatorPost(`/ui/admin/tenants/${tenant.id}/subscriptions/${await subscribed(tenant)}/rotate`);
  },
  'POST /ui/admin/tenants/:tenantId/subscriptions/:id/delete': async () => {
    const tenant = await balanceTenant();
    return operatorPost(`/ui/admin/tenants/${tenant.id}/subscriptions/${await subscribed(tenant)}/delete`);
  },
};
// The search answers from what it reads.
const readsOnly = new Set(['POST /ui/contacts/search']);
/**
 * A sign-in counts the attempt against its throttles in a transaction of its
 * own before the password is checked (so a guess counts whatever follows);
 * what its answer guards is the session, opened in the transaction that
 * checks the answer.
 */
const countsAttemptsFirst = new Set(['POST /ui/login', 'POST /ui/admin/login']);
const ATTEMPT_BOOKKEEPING = 'ui_login_throttle';

describe('a form post whose answer fails leaves nothing stored', () => {
  it('finds the form posts of the contact card and the operator pages', () => {
    expect(formPosts.length).toBeGreaterThanOrEqual(25);
  });

  for (const route of formPosts) {
    const name = `${route.method} ${route.url}`;
    it(`${name}: a 5xx for a failed page, every table unchanged; without the failure it answers and commits`, () =>
      expectFailedAnswerStoresNothing({
        app,
        rowChanges,
        injected,
        name,
        requests,
        successBelow: 400,
        writes: !readsOnly.has(name),
        kept: (change) => countsAttemptsFirst.has(name) && change.table === ATTEMPT_BOOKKEEPING,
      }));
  }
});
