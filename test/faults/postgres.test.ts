import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

let system: FaultSystem;
beforeAll(async () => {
  system = await startFaultSystem({ workers: 1, concurrency: 2 });
});
afterAll(() => system?.destroy());

describe('Postgres crashing and coming back mid-ingest', () => {
  it('while it is down the API answers 503, never 202; once it is back everything accepted is applied', async () => {
    const [balanceTenant, ledgerTenant] = await Promise.all([system.createTenant('balance-only'), system.createTenant('all-transaction')]);
    const balances = planBalances(REDUCED.balanceItems, REDUCED.balanceAccounts);
    const transactions = planTransactions(REDUCED.transactionRows, REDUCED.transactionAccounts);
    let down = false;
    const watch = () => down;
    const sending = Promise.all([
      sendBatches(system.apiUrl, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 2, pauseMs: 700, watch }),
      sendBatches(system.apiUrl, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 1, pauseMs: 800, watch }),
    ]);

    await sleep(2000);
    // 'immediate' is a crash: no checkpoint, recovery from WAL; batch applies committed without waiting for the WAL flush may be lost and must be redone.
    await system.postgres.stop('immediate');
    down = true;
    const ready = await fetch(`${system.apiUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ postgres: 'down' });
    await sleep(2500);
    down = false;
    await system.postgres.start();

    const [balanceLog, ledgerLog] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id], 60_000).catch(async (err: Error) => {
      const { rows } = await system.db.query(`SELECT status, attempts, count(*)::int AS n FROM ingest_batch GROUP BY 1, 2`);
      console.error(
        'unfinished batches by status, and the worker log without info lines:',
        JSON.stringify(rows),
        system.workers[0]!.output()
          .split('\n')
          .filter((l) => !l.includes('"level":30'))
          .slice(-40)
          .join('\n'),
      );
      throw err;
    });
    const watched = [...balanceLog.watched, ...ledgerLog.watched];
    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    console.info('postgres crashed and restarted', {
      drainedAfterSendingMs: drained,
      answersWhileDown: watched.length,
      balanceResult,
      ledgerResult,
      refusals: [balanceLog.refusals, ledgerLog.refusals],
      failures: [balanceLog.failures, ledgerLog.failures],
    });
    expect(watched.length).toBeGreaterThan(5);
    expect(watched.filter((status) => status !== 503)).toEqual([]);
    // Around the crash too, a request that could not be stored is a 503 (retry), never a 500 (logged at level 50).
    const failedRequests = system.api
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"request failed"') && line.includes('"level":50'));
    expect(failedRequests.slice(0, 3)).toEqual([]);
    expect(balanceLog.refusals).toEqual({ 503: balanceLog.refusals[503] });
    // A transactions batch whose Idempotency-Key was claimed just before the crash: its retries may meet 409 (still
    // in flight) until the key is released, which happens as soon as Postgres answers again, not after the 60 s lease.
    expect(Object.keys(ledgerLog.refusals).filter((status) => status !== '503' && status !== '409')).toEqual([]);
    expect(ledgerLog.refusals[409] ?? 0).toBeLessThan(50);
  });
});
