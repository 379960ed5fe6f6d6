import { afterAll, beforeAll, describe, it } from 'vitest';
import type { PointMaster } from '../../examples/point-master/app.ts';
import { expectAllDelivered, listeningPointMaster, sendAdjustments } from './support/point-master.ts';
import { type FaultSystem, sleep, startFaultSystem } from './support/system.ts';

const ADJUSTMENTS = 200;

let system: FaultSystem;
let master: PointMaster | undefined;
beforeAll(async () => {
  system = await startFaultSystem({
    workers: 1,
    // The reference master listens on 127.0.0.1; quick retries, and enough of them to outlast the outage below.
    env: { OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1s,1s,2s,2s,2s,2s,2s,2s,2s,2s', WEBHOOK_TIMEOUT_MS: '2000' },
  });
});
afterAll(async () => {
  await master?.app.close();
  await system?.destroy();
});

describe('webhook deliveries pending when Redis loses everything', () => {
  it('every adjustment still reaches the point master, each applied there once', async () => {
    const tenant = await system.createTenant('balance-only');
    // The master is down at first (503), so every delivery is waiting for a retry that only Redis remembers.
    let masterUp = false;
    const received: string[] = [];
    master = await listeningPointMaster(system, tenant, (m) =>
      m.app.addHook('onRequest', async (req, reply) => {
        if (req.url !== '/webhooks/engage') return;
        received.push(String(req.headers['webhook-id']));
        if (!masterUp) return reply.code(503).send({ error: 'down for maintenance' });
      }),
    );
    const sent = await sendAdjustments(system, tenant, ADJUSTMENTS);

    // Wait until first attempts failed, then lose every job, twice, with retries scheduled.
    const deadline = Date.now() + 30_000;
    while (new Set(received).size < ADJUSTMENTS / 2 && Date.now() < deadline) await sleep(100);
    await system.redis.flushAll();
    await sleep(1000);
    await system.redis.flushAll();
    const failedAttempts = received.length;
    masterUp = true;

    await expectAllDelivered(system, master, sent);
    console.info('webhooks after FLUSHALL', {
      adjustments: ADJUSTMENTS,
      attemptsRefusedWhileDown: failedAttempts,
      webhookRequestsInAll: received.length,
      distinctEvents: new Set(received).size,
    });
  });
});
