import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointMaster } from '../../examples/point-master/app.ts';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { expectAllDelivered, listeningPointMaster, sendAdjustments } from './support/point-master.ts';
import { type PrivateRedisCluster, sleep, startPrivateRedisCluster } from './support/services.ts';
import { type FaultSystem, startFaultSystem } from './support/system.ts';

let cluster: PrivateRedisCluster;
let system: FaultSystem;
let master: PointMaster | undefined;
beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  system = await startFaultSystem({
    workers: 2,
    concurrency: 2,
    env: {
      ...cluster.env,
      // The limiter runs too (high enough never to refuse the drivers): its counters live on the cluster.
      RATE_LIMIT_PER_SECOND: '100000',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,2s,2s,2s,2s,2s,2s,2s,2s',
      WEBHOOK_TIMEOUT_MS: '2000',
    },
  });
});
afterAll(async () => {
  await master?.app.close();
  await system?.destroy();
  await cluster?.destroy();
});

describe('on a Redis Cluster whose queue primary dies mid-ingest', () => {
  it('the replica takes over, and every batch and every adjustment still arrives once', async () => {
    const [balanceTenant, ledgerTenant, webhookTenant] = await Promise.all([
      system.createTenant('balance-only'),
      system.createTenant('all-transaction'),
      system.createTenant('balance-only'),
    ]);
    master = await listeningPointMaster(system, webhookTenant);
    const balances = planBalances(REDUCED.balanceItems, REDUCED.balanceAccounts);
    const transactions = planTransactions(REDUCED.transactionRows, REDUCED.transactionAccounts);
    const sending = Promise.all([
      sendBatches(system.apiUrl, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 2, pauseMs: 500 }),
      sendBatches(system.apiUrl, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 1, pauseMs: 600 }),
      sendAdjustments(system, webhookTenant, 100),
    ]);

    await sleep(2000);
    // Every key of a queue hashes to the slot of the prefix's hash tag: kill the primary holding the queues.
    const killedPort = await cluster.killPrimaryOf('{pf}');
    const failedOverAt = Date.now();

    const [balanceLog, ledgerLog, adjustments] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id]);
    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    await expectAllDelivered(system, master, adjustments);

    // The work went through the cluster, not the single Redis the fault system also starts.
    const wrongKey = await fetch(`${system.apiUrl}/api/v2/point-accounts?contactId=x`, { headers: { apikey: 'not-a-key' } });
    expect(wrongKey.status).toBe(401);
    expect(await cluster.keys('pf:authfail:api:*')).toHaveLength(1);
    // Two requests in a row: the second sees the first counted, so the limiter's counter works on the cluster.
    const remaining = [];
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${system.apiUrl}/api/v2/point-accounts?contactId=x`, { headers: { apikey: balanceTenant.key } });
      remaining.push(Number(answer.headers.get('x-ratelimit-remaining')));
    }
    expect(remaining[1]).toBe(remaining[0]! - 1);
    expect(await cluster.keys('{pf}:ingest:*')).not.toEqual([]);
    const single = await system.redis.keyCount();
    expect(single).toBe(0);

    console.info('redis cluster, queue primary killed', {
      killedPort,
      drainedAfterSendingMs: drained,
      sinceFailoverMs: Date.now() - failedOverAt,
      balanceResult,
      ledgerResult,
      adjustments: adjustments.length,
      refusals: [balanceLog.refusals, ledgerLog.refusals],
      failures: [balanceLog.failures, ledgerLog.failures],
    });
    expect([balanceLog.refusals, ledgerLog.refusals]).toEqual([{}, {}]);
  });
});
