import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

let system: FaultSystem;
beforeAll(async () => {
  system = await startFaultSystem({ workers: 1, concurrency: 2 });
});
afterAll(() => system?.destroy());

describe('SIGTERM to the API and the worker under load', () => {
  it('requests already received are answered, jobs finish or are retried, and nothing is lost', async () => {
    const [balanceTenant, ledgerTenant] = await Promise.all([system.createTenant('balance-only'), system.createTenant('all-transaction')]);
    const balances = planBalances(REDUCED.balanceItems, REDUCED.balanceAccounts);
    const transactions = planTransactions(REDUCED.transactionRows, REDUCED.transactionAccounts);
    const sending = Promise.all([
      sendBatches(system.apiUrl, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 3, pauseMs: 500 }),
      sendBatches(system.apiUrl, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 2, pauseMs: 700 }),
    ]);

    await sleep(2000);
    const api = system.api;
    api.child.kill('SIGTERM');
    const worker = system.workers[0]!;
    worker.child.kill('SIGTERM');
    const [apiCode, workerCode] = await Promise.all([api.exited, worker.exited]);
    system.workers = [];
    await sleep(500); // the master keeps retrying against nothing meanwhile
    await system.startApi();
    await system.startWorker();

    const [balanceLog, ledgerLog] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id]);
    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    const failures = { ...balanceLog.failures, ...ledgerLog.failures };
    console.info('sigterm', {
      apiCode,
      workerCode,
      drainedAfterSendingMs: drained,
      balanceResult,
      ledgerResult,
      refusals: [balanceLog.refusals, ledgerLog.refusals],
      failures: [balanceLog.failures, ledgerLog.failures],
    });

    expect(apiCode).toBe(0);
    expect(workerCode).toBe(0);
    expect(api.output()).toContain('stopped cleanly');
    expect(worker.output()).toContain('stopped cleanly');
    // While the API was gone the master's connections were refused; a request the API had received was always answered, never reset.
    expect(Object.keys(failures).filter((code) => code !== 'ECONNREFUSED')).toEqual([]);
    // A request arriving during the shutdown may be told 503 (retry); nothing else.
    expect([balanceLog.refusals, ledgerLog.refusals].flatMap((r) => Object.keys(r)).filter((status) => status !== '503')).toEqual([]);
  });
});
