import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

let system: FaultSystem;
beforeAll(async () => {
  system = await startFaultSystem({ apis: 3, workers: 3, concurrency: 2 });
});
afterAll(() => system?.destroy());

describe('three API and three worker processes on one Postgres and Redis', () => {
  it('with one API and one worker killed mid-run, every accepted batch is applied exactly once', async () => {
    const [balanceTenant, ledgerTenant] = await Promise.all([system.createTenant('balance-only'), system.createTenant('all-transaction')]);
    // Few accounts, so batches applied by different workers at once touch the same accounts.
    const balances = planBalances(REDUCED.balanceItems * 2, 2000);
    const transactions = planTransactions(REDUCED.transactionRows * 2, 500);
    const started = Date.now();
    const sending = Promise.all([
      sendBatches(system.apiUrls, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 3, pauseMs: 200 }),
      sendBatches(system.apiUrls, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 3, pauseMs: 300 }),
    ]);

    await sleep(2500);
    const killedApi = system.apis[1]!;
    killedApi.child.kill('SIGKILL');
    await system.killWorker(system.workers[1]!);
    const killedAtMs = Date.now() - started;

    const [balanceLog, ledgerLog] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id]);
    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    const applying = system.workers.map((w) => (w.output().match(/"batch applied"/g) ?? []).length);
    console.info('3 APIs, 3 workers, one of each killed', {
      killedAtMs,
      totalMs: Date.now() - started,
      drainedAfterSendingMs: drained,
      acceptedByApi: [balanceLog.acceptedBy, ledgerLog.acceptedBy],
      batchesAppliedBySurvivingWorkers: applying,
      balanceResult,
      ledgerResult,
      refusals: [balanceLog.refusals, ledgerLog.refusals],
      failures: [balanceLog.failures, ledgerLog.failures],
    });
    // Every API took batches, and both surviving workers applied some.
    for (const log of [balanceLog, ledgerLog]) expect(Object.keys(log.acceptedBy).sort()).toEqual([...system.apiUrls].sort());
    expect(applying.every((n) => n > 0)).toBe(true);
    // Clients of the killed API saw their connections fail and moved on to another API. The only refusal allowed is a
    // 409 for a retried Idempotency-Key whose first request the killed API still held; the retry then goes through,
    // and every batch was applied exactly once (above).
    for (const refusals of [balanceLog.refusals, ledgerLog.refusals]) expect(Object.keys(refusals).filter((status) => status !== '409')).toEqual([]);
  });
});
