import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncCommands } from '../../src/cli/sync.commands.ts';
import { loadConfig } from '../../src/config.ts';
import { pointTransactionsJob } from '../../src/jobs/point-transactions.job.ts';
import { createLogger } from '../../src/logger.ts';
import { closeRuntime, createRuntime, type Runtime } from '../../src/runtime.ts';
import { NO_STDIN } from '../support/cli.ts';
import { manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { HTML, signInAdmin } from '../support/ui.ts';

// No worker here: each test applies its batches itself (pointTransactionsJob),
// so it decides when and, for the races, how many at once.
const clock = manualClock('2032-03-01T10:00:00.000Z');
let system: TestSystem;
let second: Runtime;
beforeAll(async () => {
  system = await startSystem({ SYNC_GAP_ALERT_SECONDS: '300' }, { clock });
  // A second process's graph over the same database: a second worker.
  second = createRuntime(system.runtime.config, createLogger('silent', 'second'), clock);
});
afterAll(async () => {
  if (second) await closeRuntime(second);
  await system?.close();
});

type Tenant = Awaited<ReturnType<typeof createTenant>>;

const row = (contactId: string, amount: number, extra: Record<string, unknown> = {}) => ({
  contactId,
  amount,
  definitionId: 1,
  source: 'Purchase',
  description: 'Lantern oil',
  ...extra,
});

const allTransaction = () => createTenant(system.app, { mode: 'all-transaction' });

const post = (tenant: Tenant, payload: unknown) =>
  system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: payload as object });

/** Posts and applies; answers the POST's body and the batch status after the apply. */
async function push(tenant: Tenant, payload: unknown) {
  const response = await post(tenant, payload);
  expect(response.statusCode, response.body).toBe(202);
  const body = response.json();
  await pointTransactionsJob(system.runtime, tenant.id, body.id);
  return { body, status: await statusOf(tenant, body.id) };
}

async function statusOf(tenant: Tenant, id: string) {
  const response = await system.app.inject({ url: `/api/v2/point-accounts/transactions/status/${id}`, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const get = (tenant: Tenant, url: string) => system.app.inject({ url, headers: tenant.headers });

async function syncOf(tenant: Tenant) {
  const response = await get(tenant, '/api/v2/point-accounts/sync');
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function entries(tenant: Tenant) {
  const { rows } = await system.runtime.pool.query(
    `SELECT id, amount, external_id AS "externalId", sequence FROM ledger_entry WHERE tenant_id = $1 ORDER BY id`,
    [tenant.id],
  );
  return rows;
}

describe('row identity: externalId', () => {
  it('a row sent again is a reported duplicate, in the answer and the status, and is not applied twice', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const first = await push(tenant, [row(contact, 10, { externalId: 'r-1' }), row(contact, 5, { externalId: 'r-2' })]);
    expect(first.body).toMatchObject({ duplicates: [], duplicateCount: 0, notAccepted: [] });
    const [entry1, entry2] = await entries(tenant);

    // Later, with one new row: the time of the request differs, but neither re-sent row gave a validFrom, so they are the same rows.
    clock.advance(60_000);
    const again = await push(tenant, [row(contact, 5, { externalId: 'r-2' }), row(contact, 1, { externalId: 'r-3' }), row(contact, 10, { externalId: 'r-1' })]);
    expect(again.body).toMatchObject({
      notAccepted: [],
      errorMessages: [],
      duplicateCount: 2,
      duplicates: [
        { index: 0, externalId: 'r-2', transactionId: entry2.id },
        { index: 2, externalId: 'r-1', transactionId: entry1.id },
      ],
    });
    expect(again.status).toMatchObject({ status: 'Completed', itemCount: 3, appliedCount: 1, skippedCount: 0, duplicateCount: 2 });
    expect(again.status.duplicates).toEqual(again.body.duplicates);
    expect(await entries(tenant)).toHaveLength(3);

    // A request of duplicates only is stored already final.
    const only = await post(tenant, [row(contact, 1, { externalId: 'r-3' })]);
    expect(only.json().duplicateCount).toBe(1);
    expect(await statusOf(tenant, only.json().id)).toMatchObject({ status: 'Completed', appliedCount: 0, duplicateCount: 1 });
  });

  it('a field left out matches only a field left out: the default it got is not the same row', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const sentAt = clock.now().toISOString();
    await push(tenant, [row(contact, 10, { externalId: 'x-1' })]);
    const [entry] = await entries(tenant);
    const explicit = await post(tenant, [row(contact, 10, { externalId: 'x-1', validFrom: sentAt, timeStamp: sentAt })]);
    expect(explicit.json()).toMatchObject({
      duplicateCount: 0,
      errorMessages: [`Row [0].externalId: externalId "x-1" is already transaction ${entry.id}, with other content`],
      notAccepted: [{ externalId: 'x-1', amount: 10 }],
    });
    // validTo null and validTo left out both mean "never".
    const nullTo = await post(tenant, [row(contact, 10, { externalId: 'x-1', validTo: null })]);
    expect(nullTo.json().duplicateCount).toBe(1);
  });

  it('the same externalId with other content is a conflict naming the transaction; a repeat within one request is refused', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await push(tenant, [row(contact, 10, { externalId: 'c-1' })]);
    const [entry] = await entries(tenant);
    const { body, status } = await push(tenant, [
      row(contact, 11, { externalId: 'c-1' }),
      row(contact, 3, { externalId: 'c-2' }),
      row(contact, 4, { externalId: 'c-2' }),
    ]);
    expect(body.errorMessages).toEqual([
      `Row [0].externalId: externalId "c-1" is already transaction ${entry.id}, with other content`,
      'Row [2].externalId: the same externalId as row [1] of this request',
    ]);
    expect(body.notAccepted).toHaveLength(2);
    expect(status).toMatchObject({ status: 'CompletedWithErrors', itemCount: 3, appliedCount: 1, skippedCount: 2, duplicateCount: 0 });
    expect((await entries(tenant)).map((e) => e.amount)).toEqual([10, 3]);
  });

  it('reads show externalId (absent without one) and ?externalId= finds one', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await push(tenant, [row(contact, 10, { externalId: 'receipt/77 line 1', sequence: 1 }), row(contact, 2)]);
    const [withId, without] = await entries(tenant);
    const one = (await get(tenant, `/api/v2/point-accounts/transactions/${withId.id}`)).json();
    expect(one).toMatchObject({ externalId: 'receipt/77 line 1', sequence: 1 });
    const other = (await get(tenant, `/api/v2/point-accounts/transactions/${without.id}`)).json();
    expect(other).not.toHaveProperty('externalId');
    expect(other).not.toHaveProperty('sequence');

    const found = await get(tenant, `/api/v2/point-accounts/transactions?externalId=${encodeURIComponent('receipt/77 line 1')}`);
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toMatchObject({ totalCount: 1, items: [{ id: withId.id, amount: 10 }] });
    expect((await get(tenant, '/api/v2/point-accounts/transactions?externalId=nope')).json()).toMatchObject({ totalCount: 0, items: [] });
    // Another tenant's externalId is not found.
    const stranger = await allTransaction();
    expect((await get(stranger, `/api/v2/point-accounts/transactions?externalId=${encodeURIComponent('receipt/77 line 1')}`)).json().totalCount).toBe(0);
  });
});

describe('stream position: sequence', () => {
  it('keeps contiguousThrough, highestSequence and the gaps with the time each was first seen', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    expect(await syncOf(tenant)).toEqual({ contiguousThrough: 0, highestSequence: 0, missingCount: 0, gaps: [], gapAlertSeconds: 300, alerting: false });

    const t1 = clock.now().toISOString();
    await push(
      tenant,
      [1, 2, 5, 9].map((sequence) => row(contact, sequence, { sequence })),
    );
    expect(await syncOf(tenant)).toEqual({
      contiguousThrough: 2,
      highestSequence: 9,
      missingCount: 5,
      gaps: [
        { from: 3, to: 4, since: t1 },
        { from: 6, to: 8, since: t1 },
      ],
      lastReceivedAt: t1,
      gapAlertSeconds: 300,
      alerting: false,
    });

    // Later: 3 and 7 arrive, 12 opens a new gap. The pieces of a cut gap keep when it was first seen.
    const t2 = clock.advance(200_000).toISOString();
    await push(
      tenant,
      [7, 3, 12].map((sequence) => row(contact, sequence, { sequence })),
    );
    expect(await syncOf(tenant)).toMatchObject({
      contiguousThrough: 3,
      highestSequence: 12,
      missingCount: 5,
      gaps: [
        { from: 4, to: 4, since: t1 },
        { from: 6, to: 6, since: t1 },
        { from: 8, to: 8, since: t1 },
        { from: 10, to: 11, since: t2 },
      ],
      lastReceivedAt: t2,
      alerting: false,
    });

    // Past the alert age: the operator's view and the metrics say so.
    clock.advance(150_000);
    expect((await syncOf(tenant)).alerting).toBe(true);
    const metrics = (await system.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^pf_sync_missing_sequences \d+/m);
    expect(Number(/^pf_sync_missing_sequences (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(5);
    expect(Number(/^pf_sync_oldest_gap_age_seconds ([\d.]+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(350);
    expect(Number(/^pf_sync_alerting_gaps (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);

    // Re-sending from contiguousThrough + 1 closes every gap; rows that did arrive are duplicates.
    const resent = await push(
      tenant,
      Array.from({ length: 12 - 3 }, (_, i) => row(contact, 4 + i, { sequence: 4 + i })),
    );
    expect(resent.body.duplicateCount).toBe(4);
    expect(await syncOf(tenant)).toMatchObject({ contiguousThrough: 12, highestSequence: 12, missingCount: 0, gaps: [], alerting: false });
    expect(await entries(tenant)).toHaveLength(12);
  });

  it('a sequence already in the ledger with other content is a conflict; a repeat within one request is refused', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await push(tenant, [row(contact, 10, { sequence: 1 })]);
    const [entry] = await entries(tenant);
    const { body } = await push(tenant, [row(contact, 12, { sequence: 1 }), row(contact, 1, { sequence: 2 }), row(contact, 2, { sequence: 2 })]);
    expect(body.errorMessages).toEqual([
      `Row [0].sequence: sequence 1 is already transaction ${entry.id}, with other content`,
      'Row [2].sequence: the same sequence as row [1] of this request',
    ]);
    expect(await syncOf(tenant)).toMatchObject({ contiguousThrough: 2, highestSequence: 2, missingCount: 0 });
  });

  it('operators read it through the admin API, the CLI and /ui/admin, where old gaps are red', async () => {
    const tenant = await allTransaction();
    await push(tenant, [row(randomUUID(), 1, { sequence: 1 }), row(randomUUID(), 1, { sequence: 4 })]);
    const expected = await syncOf(tenant);
    const adminRead = await system.app.inject({ url: `/admin/v1/tenants/${tenant.id}/sync`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(adminRead.statusCode, adminRead.body).toBe(200);
    expect(adminRead.json()).toEqual(expected);
    expect(await syncCommands['sync:status']!.run(system.runtime.services, { tenant: tenant.id }, NO_STDIN)).toEqual(expected);

    const session = await signInAdmin(system.app, ADMIN_TOKEN);
    const page = async () => (await system.app.inject({ url: '/ui/admin', headers: { ...HTML, cookie: session.cookie } })).body;
    const fresh = await page();
    expect(fresh).toMatch(/2–3 missing for\s+\d+ seconds?/);
    expect(fresh).toMatch(/class="sync-gap" data-alert="false"/);
    clock.advance(301_000);
    expect(await page()).toMatch(/class="sync-gap sync-gap-alert" data-alert="true">\s*2–3 missing for\s+5 minutes/);
  });

  it('mode switches keep sequences and externalIds: switching back does not apply an old row again', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const rows = [row(contact, 10, { sequence: 1, externalId: 'm-1' }), row(contact, 20, { sequence: 2, externalId: 'm-2' })];
    await push(tenant, rows);
    const patch = (mode: string) =>
      system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { mode } });
    expect((await patch('balance-only')).statusCode).toBe(200);
    expect((await patch('all-transaction')).statusCode).toBe(200);
    const { body } = await push(tenant, rows);
    expect(body.duplicateCount).toBe(2);
    expect(await syncOf(tenant)).toMatchObject({ contiguousThrough: 2, highestSequence: 2 });
    expect((await entries(tenant)).filter((e) => e.sequence !== null)).toHaveLength(2);
  });
});

describe('racing batches', () => {
  it('two batches with the same externalId and sequence, applied by two workers at once, give one entry', async () => {
    for (let round = 0; round < 5; round++) {
      const tenant = await allTransaction();
      const contact = randomUUID();
      const same = [row(contact, 10, { externalId: `race-${round}`, sequence: 1 }), row(contact, 3, { sequence: 2 })];
      const a = (await post(tenant, same)).json();
      const b = (await post(tenant, same)).json();
      // Both were accepted: neither was in the ledger yet.
      expect([a.duplicateCount, b.duplicateCount]).toEqual([0, 0]);
      await Promise.all([pointTransactionsJob(system.runtime, tenant.id, a.id), pointTransactionsJob(second, tenant.id, b.id)]);
      expect(await entries(tenant)).toHaveLength(2);
      const statuses = [await statusOf(tenant, a.id), await statusOf(tenant, b.id)];
      expect(statuses.map((s) => s.appliedCount + s.duplicateCount)).toEqual([2, 2]);
      expect(statuses.map((s) => s.appliedCount).sort()).toEqual([0, 2]);
      expect(statuses.every((s) => s.status === 'Completed')).toBe(true);
      expect(await syncOf(tenant)).toMatchObject({ contiguousThrough: 2, highestSequence: 2, missingCount: 0 });
    }
  });

  it('racing rows with the same externalId and other content: one applies, the other is skipped naming it', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const a = (await post(tenant, [row(contact, 10, { externalId: 'fork' })])).json();
    const b = (await post(tenant, [row(contact, 99, { externalId: 'fork' })])).json();
    await Promise.all([pointTransactionsJob(system.runtime, tenant.id, a.id), pointTransactionsJob(second, tenant.id, b.id)]);
    const [entry] = await entries(tenant);
    expect(await entries(tenant)).toHaveLength(1);
    const loser = (await statusOf(tenant, a.id)).appliedCount === 1 ? await statusOf(tenant, b.id) : await statusOf(tenant, a.id);
    expect(loser).toMatchObject({ status: 'CompletedWithErrors', appliedCount: 0, skippedCount: 1 });
    expect(loser.messages[0].message).toBe(`Row [0].externalId: externalId "fork" is already transaction ${entry.id}, with other content`);
  });
});

describe('bad input', () => {
  const badRows: [string, Record<string, unknown>, string][] = [
    ['an empty externalId', { externalId: '' }, 'Row [0].externalId: must be 1-100 characters'],
    ['an externalId over 100 characters', { externalId: 'x'.repeat(101) }, 'Row [0].externalId: must be 1-100 characters'],
    ['an externalId with a control character', { externalId: 'a\u0007b' }, 'Row [0].externalId: must not contain control characters'],
    ['an externalId that is a number', { externalId: 5 }, 'Row [0].externalId: must be text'],
    ['sequence 0', { sequence: 0 }, `Row [0].sequence: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['a negative sequence', { sequence: -3 }, `Row [0].sequence: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['a fractional sequence', { sequence: 1.5 }, `Row [0].sequence: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['a sequence as a string', { sequence: '5' }, `Row [0].sequence: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['a sequence past 2^53-1', { sequence: 2 ** 53 }, `Row [0].sequence: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
  ];
  for (const [what, extra, message] of badRows) {
    it(`refuses ${what}, naming the row and field, and stores no entry`, async () => {
      const tenant = await allTransaction();
      const { body, status } = await push(tenant, [row(randomUUID(), 10, extra)]);
      expect(body.errorMessages).toEqual([message]);
      expect(body.notAccepted).toHaveLength(1);
      expect(status).toMatchObject({ status: 'CompletedWithErrors', appliedCount: 0, skippedCount: 1 });
      expect(await entries(tenant)).toEqual([]);
      expect(await syncOf(tenant)).toMatchObject({ contiguousThrough: 0, highestSequence: 0 });
    });
  }

  it('answers 400 problems for a bad ?externalId=, a bad tenant id; 404 for an unknown tenant; 401 without a key', async () => {
    const tenant = await allTransaction();
    for (const [query, path] of [
      ['externalId=', 'query.externalId'],
      [`externalId=${'y'.repeat(101)}`, 'query.externalId'],
      ['externalId=%07', 'query.externalId'],
    ] as const) {
      const response = await get(tenant, `/api/v2/point-accounts/transactions?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const admin = (id: string) => system.app.inject({ url: `/admin/v1/tenants/${id}/sync`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await admin('not-a-uuid')).statusCode).toBe(400);
    expect((await admin(randomUUID())).statusCode).toBe(404);
    expect((await system.app.inject({ url: '/api/v2/point-accounts/sync' })).statusCode).toBe(401);
    await expect(syncCommands['sync:status']!.run(system.runtime.services, { tenant: 'nope' }, NO_STDIN)).rejects.toThrow();
  });

  it('the config refuses a bad SYNC_GAP_ALERT_SECONDS', () => {
    const base = { DATABASE_URL: 'postgres://x/y', REDIS_URL: 'redis://x', ADMIN_TOKEN: 'a'.repeat(32) };
    expect(loadConfig(base).sync.gapAlertSeconds).toBe(300);
    expect(() => loadConfig({ ...base, SYNC_GAP_ALERT_SECONDS: '0' })).toThrow(/SYNC_GAP_ALERT_SECONDS/);
    expect(() => loadConfig({ ...base, SYNC_GAP_ALERT_SECONDS: 'soon' })).toThrow(/SYNC_GAP_ALERT_SECONDS/);
  });
});
