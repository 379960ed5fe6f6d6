import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

let system: FaultSystem;
beforeAll(async () => {
  system = await startFaultSystem({ workers: 1, concurrency: 2 });
});
afterAll(() => system?.destroy());

describe('Redis losing every job mid-ingest', () => {
  it('FLUSHALL, then a restart without persistence: the recovery sweep re-queues from Postgres and everything is applied once', async () => {
    const [balanceTenant, ledgerTenant] = await Promise.all([system.createTenant('balance-only'), system.createTenant('all-transaction')]);
    const balances = planBalances(REDUCED.balanceItems, REDUCED.balanceAccounts);
    const transactions = planTransactions(REDUCED.transactionRows, REDUCED.transactionAccounts);
    const sending = Promise.all([
      sendBatches(system.apiUrl, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 2, pauseMs: 700 }),
      sendBatches(system.apiUrl, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 1, pauseMs: 800 }),
    ]);

    await sleep(1500);
    await system.redis.flushAll();
    await sleep(1500);
    await system.redis.stop();
    await sleep(1500); // the API keeps accepting (Redis only carries work), the worker waits for Redis
    await system.redis.start();

    const [balanceLog, ledgerLog] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id]);
    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    console.info('redis flushed and restarted', {
      drainedAfterSendingMs: drained,
      balanceResult,
      ledgerResult,
      refusals: [balanceLog.refusals, ledgerLog.refusals],
      failures: [balanceLog.failures, ledgerLog.failures],
    });
    expect(system.api.output()).toContain('batch stored but not queued');
    // Redis down is no reason to refuse a batch: everything was accepted at the first try.
    expect([balanceLog.refusals, ledgerLog.refusals]).toEqual([{}, {}]);
  });
});
