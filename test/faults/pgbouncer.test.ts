import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointMaster } from '../../examples/point-master/app.ts';
import { planBalances, planTransactions, REDUCED, sendBatches, verifyBalances, verifyTransactions, waitUntilApplied } from './support/ingest.ts';
import { expectAllDelivered, listeningPointMaster, sendAdjustmentsUntilAccepted } from './support/point-master.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

/**
 * Operators put PgBouncer in transaction pooling mode in front of Postgres:
 * a server connection belongs to a client for one transaction only, so
 * anything a connection remembers between transactions (a named prepared
 * statement, a session setting, a session advisory lock, LISTEN) breaks.
 * Three API and three worker processes, each with a pool of up to 10
 * connections, share 10 server connections, while processes of both kinds
 * are SIGKILLed and started again.
 */
const SERVER_CONNECTIONS = 10;
const ADJUSTMENTS = 300;

let system: FaultSystem;
let master: PointMaster | undefined;
beforeAll(async () => {
  system = await startFaultSystem({
    apis: 3,
    workers: 3,
    concurrency: 2,
    pooler: { serverConnections: SERVER_CONNECTIONS },
    // The reference master listens on 127.0.0.1; a delivery whose worker died is retried quickly once its lease is gone.
    env: { OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1s,1s,2s,2s,2s,2s', WEBHOOK_TIMEOUT_MS: '2000' },
  });
}, 300_000); // six processes, each compiled by tsx as it starts: more than two minutes on a loaded machine
afterAll(async () => {
  await master?.app.close();
  await system?.destroy();
});

interface PoolPeak {
  /** The most server connections PgBouncer held open at once, in any state (`SHOW POOLS`: sv_active, sv_idle, sv_used, sv_tested, sv_login). */
  serverConnections: number;
  /**
   * The most backends Postgres listed for the services at once (the test's own checks connect directly and are not
   * counted). Reported, not checked: when a killed client's server connection was mid-transaction, PgBouncer closes it
   * and opens another, and Postgres lists the closed one until its backend has rolled back and exited.
   */
  postgresBackends: number;
  /** The most service connections PgBouncer held at once, and the most of them waiting for a server connection. */
  clients: number;
  clientsWaiting: number;
}

/** Samples the pooler and Postgres every 100 ms until stopped; answers the peaks. */
function watchPool(): { stop(): Promise<PoolPeak> } {
  const peak: PoolPeak = { serverConnections: 0, postgresBackends: 0, clients: 0, clientsWaiting: 0 };
  const serverStates = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'];
  let stopped = false;
  let failed: Error | undefined;
  const sampling = (async () => {
    while (!stopped) {
      const [pool, { rows }] = await Promise.all([
        system.pgbouncer!.pool('point_follower'),
        system.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'point_follower' AND backend_type = 'client backend' AND application_name <> 'fault-checks'`,
        ),
      ]);
      const held = serverStates.reduce((sum, state) => sum + Number(pool[state] ?? 0), 0);
      peak.serverConnections = Math.max(peak.serverConnections, held);
      peak.postgresBackends = Math.max(peak.postgresBackends, rows[0]!.n);
      peak.clients = Math.max(peak.clients, Number(pool.cl_active) + Number(pool.cl_waiting));
      peak.clientsWaiting = Math.max(peak.clientsWaiting, Number(pool.cl_waiting));
      await sleep(100);
    }
  })().catch((err: Error) => (failed = err));
  return {
    async stop() {
      stopped = true;
      await sampling;
      if (failed) throw failed;
      return peak;
    },
  };
}

describe('three API and three worker processes through one PgBouncer in transaction pooling mode', () => {
  it('with APIs and workers killed and restarted mid-run, every batch and every adjustment arrives exactly once', async () => {
    const [balanceTenant, ledgerTenant, adjustmentTenant] = await Promise.all([
      system.createTenant('balance-only'),
      system.createTenant('all-transaction'),
      system.createTenant('balance-only'),
    ]);
    const received: string[] = [];
    master = await listeningPointMaster(system, adjustmentTenant, (m) =>
      m.app.addHook('onRequest', async (req) => {
        if (req.url === '/webhooks/engage') received.push(String(req.headers['webhook-id']));
      }),
    );
    // Few accounts, so batches applied by different workers at once touch the same accounts.
    const balances = planBalances(REDUCED.balanceItems, 2000);
    const transactions = planTransactions(REDUCED.transactionRows, 500);
    const started = Date.now();
    const sending = Promise.all([
      sendBatches(system.apiUrls, balances, { kind: 'balances', key: balanceTenant.key, inFlight: 3, pauseMs: 200 }),
      sendBatches(system.apiUrls, transactions, { kind: 'transactions', key: ledgerTenant.key, inFlight: 3, pauseMs: 300 }),
      sendAdjustmentsUntilAccepted(system.apiUrls, adjustmentTenant, ADJUSTMENTS, { inFlight: 3, pauseMs: 30 }),
    ]);
    const watcher = watchPool();
    // Two rounds, 2.5 s apart: an API and a worker die with SIGKILL (their server connections mid-transaction) and are
    // started again at once; the restarts take a while (tsx compiles them), so the second round falls while they do.
    const kills: { api: number; atMs: number }[] = [];
    const restarts: Promise<unknown>[] = [];
    let pool: PoolPeak;
    try {
      for (const api of [1, 2]) {
        await sleep(2500);
        system.apis[api]!.child.kill('SIGKILL');
        await system.killWorker(system.workers[0]!);
        kills.push({ api, atMs: Date.now() - started });
        restarts.push(system.startApi(api), system.startWorker());
      }
      await Promise.all(restarts);
      await sending;
    } finally {
      pool = await watcher.stop();
    }

    const [balanceLog, ledgerLog, adjustmentLog] = await sending;
    const drained = await waitUntilApplied(system.db, [balanceTenant.id, ledgerTenant.id]);
    const balanceResult = await verifyBalances(system.db, balanceTenant.id, balances, balanceLog);
    const ledgerResult = await verifyTransactions(system.db, ledgerTenant.id, transactions, ledgerLog);
    // Every adjustment recorded once (a retry under its Idempotency-Key was answered, not stored again), then applied by the master once.
    const { rows: recorded } = await system.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM point_adjustment WHERE tenant_id = $1`, [
      adjustmentTenant.id,
    ]);
    expect(recorded[0]!.n).toBe(ADJUSTMENTS);
    expect(new Set(adjustmentLog.sent.map((a) => a.eventId)).size).toBe(ADJUSTMENTS);
    await expectAllDelivered(system, master, adjustmentLog.sent);

    // Errors the processes logged (pino level 50 and up), by message. On a loaded machine BullMQ logs lock renewals a
    // starved worker missed (the job then runs again, which changes nothing); those come from Redis, not the pooler.
    const errors = [...system.apis, ...system.workers]
      .flatMap((p) => p.output().split('\n'))
      .filter((line) => /"level":[56]0/.test(line))
      .map((line) => /"message":"([^"]*)"/.exec(line)?.[1] ?? /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 200))
      .map((message) => message.replace(/job [^ .]+/g, 'job <id>'));
    console.info('3 APIs and 3 workers through PgBouncer, killed and restarted', {
      kills,
      totalMs: Date.now() - started,
      drainedAfterSendingMs: drained,
      pool,
      balanceResult,
      ledgerResult,
      adjustments: { sent: ADJUSTMENTS, webhookRequests: received.length, distinctEvents: new Set(received).size },
      refusals: [balanceLog.refusals, ledgerLog.refusals, adjustmentLog.refusals],
      failures: [balanceLog.failures, ledgerLog.failures, adjustmentLog.failures],
      errorsLogged: errors.reduce<Record<string, number>>((counts, message) => ({ ...counts, [message]: (counts[message] ?? 0) + 1 }), {}),
    });
    // The pooler held Postgres to its 10 connections while the services had more clients than that.
    expect(pool.serverConnections).toBeLessThanOrEqual(SERVER_CONNECTIONS);
    expect(pool.clients).toBeGreaterThan(SERVER_CONNECTIONS);
    // Nothing a pooled connection cannot keep: no statement failed for want of session state.
    expect(errors.filter((message) => /prepared statement/.test(message))).toEqual([]);
    // No request failed on the server side; a retry may meet a key still claimed by a killed API (409), nothing else.
    for (const refusals of [balanceLog.refusals, ledgerLog.refusals, adjustmentLog.refusals]) {
      expect(Object.keys(refusals).filter((status) => status !== '409')).toEqual([]);
    }
  });
});
