import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPointMaster, type PointMaster } from '../../examples/point-master/app.ts';
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
    const secrets = await system.admin('PUT', `/tenants/${tenant.id}/webhook`, { url: 'http://127.0.0.1:9/placeholder' });
    master = buildPointMaster({
      encryptionKey: secrets.encryptionKey!,
      signingSecret: secrets.signingSecret!,
      followerUrl: system.apiUrl,
      followerApiKey: tenant.key,
      logger: false,
    });
    // The master is down at first (503), so every delivery is waiting for a retry that only Redis remembers.
    let masterUp = false;
    const received: string[] = [];
    master.app.addHook('onRequest', async (req, reply) => {
      if (req.url !== '/webhooks/engage') return;
      received.push(String(req.headers['webhook-id']));
      if (!masterUp) return reply.code(503).send({ error: 'down for maintenance' });
    });
    await master.app.listen({ host: '127.0.0.1', port: 0 });
    await system.admin('PUT', `/tenants/${tenant.id}/webhook`, {
      url: `http://127.0.0.1:${(master.app.server.address() as AddressInfo).port}/webhooks/engage`,
    });

    const contacts = Array.from({ length: 20 }, () => randomUUID());
    const sent: { eventId: string; contactId: string; amount: number }[] = [];
    for (let i = 0; i < ADJUSTMENTS; i++) {
      const body = {
        contactId: contacts[i % contacts.length]!,
        definitionId: 1,
        amount: (i % 7) + 1,
        description: `adjustment ${i}`,
        source: 'Manual',
        userId: randomUUID(),
        userName: 'Operator',
      };
      const response = await request(`${system.apiUrl}/api/v2/point-accounts/adjustments`, {
        method: 'POST',
        headers: { apikey: tenant.key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await response.body.json()) as { eventId: string };
      expect(response.statusCode).toBe(202);
      sent.push({ eventId: answer.eventId, contactId: body.contactId, amount: body.amount });
    }

    // Wait until first attempts failed, then lose every job, twice, with retries scheduled.
    const deadline = Date.now() + 30_000;
    while (new Set(received).size < ADJUSTMENTS / 2 && Date.now() < deadline) await sleep(100);
    await system.redis.flushAll();
    await sleep(1000);
    await system.redis.flushAll();
    const failedAttempts = received.length;
    masterUp = true;

    const finalStates = async () =>
      (await system.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM webhook_delivery GROUP BY state`)).rows;
    const until = Date.now() + 90_000;
    for (;;) {
      const states = await finalStates();
      if (states.length === 1 && states[0]!.state === 'Delivered') break;
      if (Date.now() > until) throw new Error(`deliveries not finished: ${JSON.stringify(states)}`);
      await sleep(250);
    }

    const { rows } = await system.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_delivery WHERE state = 'Delivered'`);
    expect(rows[0]!.n).toBe(ADJUSTMENTS);
    // Each event reached the master and was applied there once (it de-duplicates by event id): its books add up exactly.
    for (const { eventId } of sent) expect(master.store.hasApplied(eventId), eventId).toBe(true);
    const expected = new Map<string, number>();
    for (const { contactId, amount } of sent) expected.set(contactId, (expected.get(contactId) ?? 0) + amount);
    for (const [contactId, total] of expected) expect(master.store.balance(contactId, 1)).toBe(total);
    console.info('webhooks after FLUSHALL', {
      adjustments: ADJUSTMENTS,
      attemptsRefusedWhileDown: failedAttempts,
      webhookRequestsInAll: received.length,
      distinctEvents: new Set(received).size,
    });
  });
});
