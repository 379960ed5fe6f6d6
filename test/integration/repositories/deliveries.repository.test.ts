import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdjustmentInput } from '../../../src/domain/adjustments.ts';
import type { AttemptOutcome, DeliveryState } from '../../../src/domain/deliveries.ts';
import type { TenantRecord } from '../../../src/domain/tenants.ts';
import { at, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, T0 } from './scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

const LEASE_MS = 30_000;
const SECRETS = { encryptionKey: 'encryption-key', signingSecret: 'signing-secret' };

const adjustment = (): AdjustmentInput => ({
  contactId: randomUUID(),
  definitionId: 1,
  amount: 25,
  description: 'Goodwill',
  source: 'Manual',
  userId: randomUUID(),
  userName: 'Ada',
});

/** An adjustment and its outbox row, in one transaction as adjustmentsService records them; answers the delivery id. */
const newDelivery = (tenant: TenantRecord, state: DeliveryState, now = T0, input = adjustment()) =>
  scratch.db.transaction(async (tx) => {
    const adjustmentId = await tx.adjustments.insert(tenant.id, input, now);
    await tx.deliveries.insert({ tenantId: tenant.id, adjustmentId, state }, now);
    return (await tx.adjustments.find(tenant.id, adjustmentId))!.eventId;
  });

const withWebhook = async (tenant: TenantRecord) => {
  await scratch.db.integrations.setWebhookUrl(tenant.id, 'https://master.example/webhook', SECRETS, T0);
  return tenant;
};

const newTenantWithWebhook = async () => withWebhook(await newTenant(scratch.db, 'balance-only'));

/** The tenant a delivery was stored under, read back from the table. */
const tenantOf = async (id: string) =>
  (await scratch.pool.query<{ tenant_id: string }>(`SELECT tenant_id FROM webhook_delivery WHERE id = $1`, [id])).rows[0]!.tenant_id;

const claim = async (id: string, now: Date) => scratch.db.deliveries.claim(await tenantOf(id), id, now, LEASE_MS);

const retrying = (failures: number, nextAttemptAt: Date): AttemptOutcome => ({
  state: 'Retrying',
  failures,
  nextAttemptAt,
  lastStatus: 503,
  lastError: 'busy',
});
const delivered: AttemptOutcome = { state: 'Delivered', failures: 0, nextAttemptAt: null, lastStatus: 200, lastError: null };

describe('deliveries.claim', () => {
  it('takes the lease on a due Pending delivery and answers everything needed to send it', async () => {
    const tenant = await newTenantWithWebhook();
    const input = adjustment();
    const id = await newDelivery(tenant, 'Pending', T0, input);
    expect(await claim(id, T0)).toEqual({
      id,
      leaseToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      attempts: 0,
      failures: 0,
      tenantId: tenant.id,
      tenantName: tenant.name,
      webhook: { url: 'https://master.example/webhook', ...SECRETS },
      adjustment: input,
    });
  });

  it('claims nothing under another tenant', async () => {
    const [tenant, other] = [await newTenantWithWebhook(), await newTenantWithWebhook()];
    const id = await newDelivery(tenant, 'Pending', T0);
    expect(await scratch.db.deliveries.claim(other.id, id, T0, LEASE_MS)).toBeNull();
    expect(await claim(id, T0)).not.toBeNull();
  });

  it('claims nothing before the delivery is due', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Pending', T0);
    expect(await claim(id, at(-1))).toBeNull();
    expect(await claim(id, T0)).not.toBeNull();
  });

  it('claims nothing while another lease holds, and again once that lease has run out', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Pending', T0);
    const first = await claim(id, T0);
    expect(await claim(id, at(LEASE_MS - 1))).toBeNull();
    const second = await claim(id, at(LEASE_MS));
    expect(second).not.toBeNull();
    expect(second?.leaseToken).not.toBe(first?.leaseToken);
  });

  it('claims an AwaitingConfiguration delivery only once the tenant has a webhook URL, making it Pending', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await newDelivery(tenant, 'AwaitingConfiguration');
    expect(await claim(id, T0)).toBeNull();
    await withWebhook(tenant);
    expect(await claim(id, T0)).toMatchObject({ id, webhook: { url: 'https://master.example/webhook' } });
    expect(await scratch.db.deliveries.find(tenant.id, id)).toMatchObject({ state: 'Pending' });
  });
});

describe('deliveries.recordAttempt', () => {
  it('stores the outcome only for the holder of the lease', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Pending');
    const held = (await claim(id, T0))!;
    expect(await scratch.db.deliveries.recordAttempt({ ...held, leaseToken: randomUUID() }, delivered, at(1000), at(2000))).toBeNull();
    expect(await scratch.db.deliveries.find(tenant.id, id)).toMatchObject({ state: 'Pending', attempts: 0 });
    expect(await scratch.db.deliveries.recordAttempt(held, delivered, at(1000), at(2000))).toEqual({ tenantId: tenant.id, id, attempts: 1, dueAt: null });
    expect(await scratch.db.deliveries.find(tenant.id, id)).toMatchObject({
      state: 'Delivered',
      attempts: 1,
      lastStatus: 200,
      lastAttemptAt: at(1000),
      deliveredAt: at(2000),
    });
    expect(await scratch.db.deliveries.recordAttempt(held, delivered, at(3000), at(3000))).toBeNull();
  });

  it('gives up the lease: a Retrying delivery is claimable as soon as its next attempt is due', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Pending');
    await scratch.db.deliveries.recordAttempt((await claim(id, T0))!, retrying(1, at(1000)), T0, T0);
    expect(await claim(id, at(999))).toBeNull();
    expect(await claim(id, at(1000))).toMatchObject({ attempts: 1, failures: 1 });
  });
});

describe('deliveries.releaseAwaiting', () => {
  it('makes the tenant’s AwaitingConfiguration deliveries Pending and due now, and nothing else', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const waiting = [await newDelivery(tenant, 'AwaitingConfiguration'), await newDelivery(tenant, 'AwaitingConfiguration')];
    const failed = await newDelivery(tenant, 'Failed');
    const elsewhere = await newDelivery(other, 'AwaitingConfiguration');
    const released = await scratch.db.deliveries.releaseAwaiting(tenant.id, at(HOUR));
    expect(released.sort((a, b) => a.id.localeCompare(b.id))).toEqual(waiting.sort().map((id) => ({ tenantId: tenant.id, id, attempts: 0, dueAt: at(HOUR) })));
    expect(await scratch.db.deliveries.find(tenant.id, waiting[0]!)).toMatchObject({ state: 'Pending', nextAttemptAt: at(HOUR) });
    expect(await scratch.db.deliveries.find(tenant.id, failed)).toMatchObject({ state: 'Failed' });
    expect(await scratch.db.deliveries.find(other.id, elsewhere)).toMatchObject({ state: 'AwaitingConfiguration' });
  });
});

describe('deliveries.listSendable', () => {
  it('lists deliveries that are due and unleased, those waiting for no time first', async () => {
    const [tenant, unconfigured] = [await newTenantWithWebhook(), await newTenant(scratch.db, 'balance-only')];
    const later = await newDelivery(tenant, 'Pending', at(2 * HOUR));
    const earlier = await newDelivery(tenant, 'Pending', at(HOUR));
    const awaiting = await newDelivery(tenant, 'AwaitingConfiguration');
    const leased = await newDelivery(tenant, 'Pending', at(HOUR));
    await claim(leased, at(3 * HOUR));
    const notDue = await newDelivery(tenant, 'Pending', at(4 * HOUR));
    const failed = await newDelivery(tenant, 'Failed');
    const stillWaiting = await newDelivery(unconfigured, 'AwaitingConfiguration');
    const mine = new Set([later, earlier, awaiting, leased, notDue, failed, stillWaiting]);
    const sendable = (await scratch.db.deliveries.listSendable(at(3 * HOUR), 1000)).filter((d) => mine.has(d.id));
    expect(sendable.map((d) => d.id)).toEqual([awaiting, earlier, later]);
  });
});

describe('deliveries.replay', () => {
  it('sends a Failed delivery again now', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Failed');
    expect(await scratch.db.deliveries.replay(tenant.id, id, at(HOUR))).toEqual({ tenantId: tenant.id, id, attempts: 0, dueAt: at(HOUR) });
    expect(await scratch.db.deliveries.find(tenant.id, id)).toMatchObject({ state: 'Pending', nextAttemptAt: at(HOUR) });
  });

  it('sends a Retrying delivery again now, with its failures reset', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Pending');
    await scratch.db.deliveries.recordAttempt((await claim(id, T0))!, retrying(3, at(HOUR)), T0, T0);
    expect(await scratch.db.deliveries.replay(tenant.id, id, at(1000))).toEqual({ tenantId: tenant.id, id, attempts: 1, dueAt: at(1000) });
    expect(await claim(id, at(1000))).toMatchObject({ attempts: 1, failures: 0 });
  });

  it('refuses deliveries in any other state, of another tenant, or leased by a worker', async () => {
    const [tenant, other] = [await newTenantWithWebhook(), await newTenantWithWebhook()];
    const replay = (id: string, tenantId = tenant.id) => scratch.db.deliveries.replay(tenantId, id, T0);
    for (const state of ['Pending', 'AwaitingConfiguration', 'Delivered'] as const) {
      expect(await replay(await newDelivery(tenant, state)), state).toBeNull();
    }
    expect(await replay(await newDelivery(tenant, 'Failed'), other.id)).toBeNull();
    const leased = await newDelivery(tenant, 'Pending', at(-HOUR));
    await scratch.db.deliveries.recordAttempt((await claim(leased, at(-HOUR)))!, retrying(1, at(-1000)), at(-HOUR), at(-HOUR));
    expect(await claim(leased, at(-1000))).not.toBeNull();
    expect(await replay(leased)).toBeNull();
  });
});

describe('the deliveries each statement answers for queuing', () => {
  // The job id of an attempt is made of tenantId, id, attempts and dueAt (queue/queues.ts): every statement that answers
  // deliveries to queue must answer all four, equal to what the recovery sweep reads back for the same attempt.
  const sweepSees = async (id: string, now: Date) => (await scratch.db.deliveries.listSendable(now, 1000)).find((delivery) => delivery.id === id);

  it('insertForLevelChanges answers each new delivery with its due time, as the recovery sweep reads it', async () => {
    const tenant = await withWebhook(await newTenant(scratch.db, 'all-transaction'));
    const contacts = [randomUUID(), randomUUID()].sort();
    const member = { key: 'member', name: 'Member', threshold: 0 };
    const silver = { key: 'silver', name: 'Silver', threshold: 100 };
    await scratch.db.levels.lockContacts(tenant.id, contacts, member);
    const changes = await scratch.db.levels.recordChanges(
      tenant.id,
      contacts.map((contactId) => ({ contactId, to: silver, qualifying: 150 })),
      'Transactions',
      T0,
    );
    const ids = changes.map((change) => change.id);
    const pending = await scratch.db.deliveries.insertForLevelChanges(tenant.id, ids, 'Pending', T0);
    expect(pending).toEqual(contacts.map(() => ({ tenantId: tenant.id, id: expect.stringMatching(/^[0-9a-f-]{36}$/), attempts: 0, dueAt: T0 })));
    for (const delivery of pending) expect(await sweepSees(delivery.id, T0)).toEqual(delivery);

    const other = await newTenant(scratch.db, 'all-transaction');
    await scratch.db.levels.lockContacts(other.id, contacts, member);
    const waiting = await scratch.db.levels.recordChanges(
      other.id,
      contacts.map((contactId) => ({ contactId, to: silver, qualifying: 150 })),
      'Transactions',
      T0,
    );
    expect(
      await scratch.db.deliveries.insertForLevelChanges(
        other.id,
        waiting.map((change) => change.id),
        'AwaitingConfiguration',
        T0,
      ),
    ).toEqual(contacts.map(() => expect.objectContaining({ tenantId: other.id, attempts: 0, dueAt: null })));
  });

  it('recordAttempt, replay, replayAllFailed and releaseAwaiting answer what the sweep reads for the next attempt', async () => {
    const tenant = await newTenantWithWebhook();
    const id = await newDelivery(tenant, 'Pending');
    const retry = await scratch.db.deliveries.recordAttempt((await claim(id, T0))!, retrying(1, at(HOUR)), T0, T0);
    expect(retry).toEqual({ tenantId: tenant.id, id, attempts: 1, dueAt: at(HOUR) });
    expect(await sweepSees(id, at(HOUR))).toEqual(retry);

    const replayed = await scratch.db.deliveries.replay(tenant.id, id, at(1000));
    expect(replayed).toEqual({ tenantId: tenant.id, id, attempts: 1, dueAt: at(1000) });
    expect(await sweepSees(id, at(1000))).toEqual(replayed);

    const failed = await newDelivery(tenant, 'Failed');
    const replayedAll = await scratch.db.deliveries.replayAllFailed(tenant.id, at(2000));
    expect(replayedAll).toEqual([{ tenantId: tenant.id, id: failed, attempts: 0, dueAt: at(2000) }]);
    expect(await sweepSees(failed, at(2000))).toEqual(replayedAll[0]);

    const unconfigured = await newTenant(scratch.db, 'balance-only');
    const waiting = await newDelivery(unconfigured, 'AwaitingConfiguration');
    const released = await scratch.db.deliveries.releaseAwaiting(unconfigured.id, at(3000));
    expect(released).toEqual([{ tenantId: unconfigured.id, id: waiting, attempts: 0, dueAt: at(3000) }]);
  });
});
