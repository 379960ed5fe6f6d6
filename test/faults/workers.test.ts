import { afterAll, describe, expect, it } from 'vitest';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { type FaultSystem, startFaultSystem } from './support/system.ts';

let system: FaultSystem | undefined;
afterAll(() => system?.destroy());

describe('several worker processes on overlapping accounts', () => {
  for (const workers of [2, 3]) {
    it(`${workers} workers apply every batch exactly once and the newest balance wins`, async () => {
      await system?.destroy();
      system = await startFaultSystem({ workers, concurrency: 2 });
      const [balanceTenant, ledgerTenant] = await Promise.all([system.createTenant('balance-only'), system.createTenant('all-transaction')]);
      // Few accounts: every batch touches accounts other batches touch, in other workers at the same time.
      const balances = planBalances(REDUCED.balanceItems, 1000);
      const transactions = planTransactions(REDUCED.transactionRows, 200);
      const [balanceLog, ledgerLog] = await Promise.all([
        sendBatches(system.apiUrl, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 3 }),
        sendBatches(system.apiUrl, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 2 }),
      ]);
      const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id]);
      const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
      const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
      const busy = system.workers.filter((w) => /batch applied/.test(w.output())).length;
      console.info(`${workers} workers`, { drainedAfterSendingMs: drained, workersThatApplied: busy, balanceResult, ledgerResult });
      expect(busy).toBe(workers);
    });
  }
});
