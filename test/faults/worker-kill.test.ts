import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL, planBalances, planTransactions, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

let system: FaultSystem;
beforeAll(async () => {
  system = await startFaultSystem({ workers: 1, concurrency: 2 });
});
afterAll(() => system?.destroy());

describe('the worker killed with SIGKILL mid-ingest', () => {
  it('ten kills at random moments lose nothing and apply nothing twice', async () => {
    const [balanceTenant, ledgerTenant] = await Promise.all([system.createTenant('balance-only'), system.createTenant('all-transaction')]);
    const balances = planBalances(FULL.balanceItems, FULL.balanceAccounts);
    const transactions = planTransactions(FULL.transactionRows, FULL.transactionAccounts);

    const started = Date.now();
    const sending = Promise.all([
      sendBatches(system.apiUrl, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 2, pauseMs: 60 }),
      sendBatches(system.apiUrl, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 1, pauseMs: 60 }),
    ]);

    // Kill at random moments while batches arrive and are applied; each time a new worker takes over.
    const kills: number[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(300 + Math.random() * 1200);
      const [worker] = system.workers;
      await system.killWorker(worker!);
      kills.push(Date.now() - started);
      await system.startWorker();
    }
    const [balanceLog, ledgerLog] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id], 180_000);

    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    const { rows } = await system.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ingest_batch WHERE attempts > 1`);
    console.info('worker kills', {
      kills,
      drainedAfterSendingMs: drained,
      totalMs: Date.now() - started,
      batchesTriedMoreThanOnce: rows[0]!.n,
      balanceResult,
      ledgerResult,
      balanceLog: { refusals: balanceLog.refusals, failures: balanceLog.failures },
      ledgerLog: { refusals: ledgerLog.refusals, failures: ledgerLog.failures },
    });
    expect(kills).toHaveLength(10);
    // The API never went away: every batch was answered 202 at the first try.
    expect(balanceLog.refusals).toEqual({});
    expect(ledgerLog.refusals).toEqual({});
  });
});
