// npm run bench -- --events [changes=200000]
// point.balance.updated at volume, in one run: the API and the worker as
// deployed, a balance-only tenant with one subscriber in batch mode (the
// reference subscriber, on 127.0.0.1), and a sync that changes `changes`
// balances (batches of 1000, pushed back to back). Measures events per second
// delivered, the lag from each balance change (the event's changedAt, set when
// the worker applied it) to its arrival, the outbox's peak size, and the accept
// p99 of the push endpoint for a tenant without a subscriber and then with one.
// Then the sender alone: a second sync applied with the events queue paused,
// and the time its backlog takes to reach the subscriber once let go.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { request } from 'undici';
import { EVENTS_QUEUE } from '../src/queue/queues.ts';
import { Subscriber } from '../examples/subscriber/subscriber.ts';
import { startTarget } from './target.ts';

const changes = Math.max(1000, Math.round(Number(process.argv[2] ?? 200_000) / 1000) * 1000);
const BATCH = 1000;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const target = await startTarget({ OUTBOUND_ALLOW_PRIVATE: 'true' });
try {
  /** Pushes `batches` batches of fresh accounts for the tenant, at most `inFlight` at a time; answers the accept latencies (ms). */
  const push = async (key: string, batches: number, inFlight = 4) => {
    const latencies: number[] = [];
    let next = 0;
    const lane = async () => {
      while (next < batches) {
        next++;
        const timeStamp = new Date().toISOString();
        const body = JSON.stringify(Array.from({ length: BATCH }, (_, i) => ({ contactId: randomUUID(), definitionId: 1, amount: i + 1, timeStamp })));
        const started = performance.now();
        const response = await request(`${target.url}/api/v2/point-accounts/balances`, {
          method: 'POST',
          headers: { apikey: key, 'content-type': 'application/json' },
          body,
        });
        await response.body.dump();
        if (response.statusCode !== 202) throw new Error(`push answered ${response.statusCode}`);
        latencies.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    return latencies.sort((a, b) => a - b);
  };

  const baselineBatches = Math.min(200, changes / BATCH);
  const plain = await target.createTenant();
  const without = await push(plain.key, baselineBatches);

  const tenant = await target.createTenant();
  const subscriber = new Subscriber({ signingSecret: 'whsec_AA==' });
  const { server, url } = await subscriber.listen();
  const created = await target.adminPost(`/tenants/${tenant.id}/subscriptions`, { url, events: ['point.balance.updated'], batch: true });
  const receiver = new Subscriber({ signingSecret: created.signingSecret! });
  server.removeAllListeners('request').on('request', receiver.handle);

  let peakOutbox = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await target.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM balance_event WHERE state IN ('Pending', 'Retrying')`);
      peakOutbox = Math.max(peakOutbox, rows[0]?.n ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();

  const started = Date.now();
  let withSubscriber: number[];
  let pushed: number;
  try {
    withSubscriber = await push(tenant.key, changes / BATCH);
    pushed = Date.now();
    while (receiver.latest.size < changes) {
      if (Date.now() - pushed > 600_000) throw new Error(`only ${receiver.latest.size} of ${changes} events arrived in 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    // Stopped before the target is, so a failure above is the one reported.
    sampling = false;
    await sampler;
  }

  // Delivery alone: the events queue paused while a second sync of as many changes is applied, then let go.
  const events = new Queue(EVENTS_QUEUE, { connection: { url: target.redisUrl }, prefix: target.queuePrefix });
  await events.pause();
  const backlogged = receiver.received.length;
  await push(tenant.key, changes / BATCH);
  for (;;) {
    const { rows } = await target.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM balance_event WHERE state = 'Pending'`);
    if ((rows[0]?.n ?? 0) >= changes) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const released = Date.now();
  await events.resume();
  while (receiver.received.length < backlogged + changes) {
    if (Date.now() - released > 600_000) throw new Error('the backlog was not delivered in 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const drainSeconds = (Date.now() - released) / 1000;
  await events.close();
  server.close();

  const live = receiver.received.slice(0, backlogged);
  const arrivals = live.map(({ at }) => at);
  const first = Math.min(...arrivals.slice(0, 1000));
  const last = Math.max(...arrivals.slice(-1000));
  const lags = live.map(({ event, at }) => at - Date.parse(event.changedAt)).sort((a, b) => a - b);
  const result = {
    changes,
    /** While the sync runs: as fast as the changes are applied. */
    liveEventsPerSecond: Math.round((live.length / Math.max(1, last - first)) * 1000),
    syncEndToEndSeconds: (last - started) / 1000,
    /** A backlog of `changes` events delivered with nothing else running: the sender's own rate. */
    backlogEventsPerSecond: Math.round(changes / drainSeconds),
    lagMs: { p50: Math.round(quantile(lags, 0.5)), p99: Math.round(quantile(lags, 0.99)) },
    outboxPeak: peakOutbox,
    acceptMs: {
      withoutSubscriber: { p50: +quantile(without, 0.5).toFixed(1), p99: +quantile(without, 0.99).toFixed(1), batches: without.length },
      withSubscriber: { p50: +quantile(withSubscriber, 0.5).toFixed(1), p99: +quantile(withSubscriber, 0.99).toFixed(1), batches: withSubscriber.length },
    },
    duplicates: receiver.received.length - 2 * changes,
    outOfOrder: receiver.outOfOrder,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await target.stop();
}
