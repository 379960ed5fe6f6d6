import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport } from '../../examples/point-master/reconcile.ts';
import { buildPointMaster } from '../../examples/point-master/app.ts';
import { webhookRequest } from '../../src/domain/adjustments.ts';
import { generateEncryptionKey, generateSigningSecret, signWebhook } from '../../src/domain/webhook-crypto.ts';

const encryptionKey = generateEncryptionKey();
const signingSecret = generateSigningSecret();
// Balance pushes go to a closed local port: these tests look at the webhook answers only.
const master = buildPointMaster({
  encryptionKey,
  signingSecret,
  followerUrl: 'http://127.0.0.1:9',
  followerApiKey: 'pf_unused',
  pointsLogToken: 'log-token',
  logger: false,
});
afterAll(() => master.app.close());

const contactId = randomUUID();
const adjustment = { contactId, definitionId: 1, amount: 40, description: 'Birthday', source: 'Manual' as const, userId: randomUUID(), userName: 'Ann' };

function signed(overrides: { eventId?: string; key?: string; sentAt?: Date } = {}) {
  return webhookRequest({
    eventId: overrides.eventId ?? randomUUID(),
    adjustment,
    tenantName: 'shop',
    encryptionKey: overrides.key ?? encryptionKey,
    signingSecret,
    sentAt: overrides.sentAt ?? new Date(),
  });
}

const send = (request: { body: string; headers: Record<string, string> }) =>
  master.app.inject({ method: 'POST', url: '/webhooks/engage', headers: { 'content-type': 'application/json', ...request.headers }, payload: request.body });

describe('reference point master', () => {
  it('applies a signed webhook once, however often it comes', async () => {
    const request = signed();
    expect((await send(request)).json()).toEqual({ status: 'applied', balance: 40 });
    expect((await send(request)).json()).toEqual({ status: 'duplicate' });
    expect(master.store.balance(contactId, 1)).toBe(40);
  });

  it('refuses a wrong signature, a stale timestamp and missing headers', async () => {
    const request = signed();
    const forged = await send({
      ...request,
      headers: { ...request.headers, 'webhook-signature': signWebhook(generateSigningSecret(), { id: 'x', timestamp: 1, body: '' }) },
    });
    expect(forged.statusCode).toBe(401);
    const stale = await send(signed({ sentAt: new Date(Date.now() - 10 * 60_000) }));
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error).toBe('webhook-timestamp is too far from now');
    expect((await send({ body: request.body, headers: {} })).statusCode).toBe(400);
  });

  it('refuses a payload encrypted with another key, applying nothing', async () => {
    const before = master.store.applied.length;
    const response = await send(signed({ key: generateEncryptionKey() }));
    expect(response.statusCode).toBe(400);
    expect(master.store.applied).toHaveLength(before);
  });

  it('serves the points log newest first, behind its token', async () => {
    await send(signed());
    expect((await master.app.inject({ url: `/points/${contactId}` })).statusCode).toBe(401);
    const log = await master.app.inject({ url: `/points/${contactId}`, headers: { authorization: 'Bearer log-token' } });
    expect(log.json()).toEqual([
      { transactionDate: expect.any(String), amount: 40, description: 'Birthday' },
      { transactionDate: expect.any(String), amount: 40, description: 'Birthday' },
    ]);
    expect((await master.app.inject({ url: `/points/${randomUUID()}`, headers: { authorization: 'Bearer log-token' } })).json()).toEqual([]);
  });
});

describe('reference reconciliation report', () => {
  it('names the sequences the follower is missing, so the master knows what to send again', () => {
    const reconciliation = {
      id: 'r1',
      asOf: '2026-12-01T00:00:00.000Z',
      scope: 'Full',
      repair: false,
      status: 'Completed',
      listed: 2,
      compared: 2,
      matched: 1,
      drifted: 1,
      repaired: 0,
    } as const;
    const gaps = [
      { from: 7, to: 7, since: '2026-11-30T23:00:00.000Z' },
      { from: 12, to: 14, since: '2026-11-30T23:10:00.000Z' },
    ];
    const report = formatReport({ reconciliation: { ...reconciliation, missingSequences: { count: 4, highestSequence: 40, gaps } }, drifts: [] });
    expect(report.split('\n')[2]).toBe('  missing sequences: 4 (highest applied 40): 7, 12-14; send these rows again, they may be what a drift stands for');
    expect(formatReport({ reconciliation, drifts: [] })).not.toContain('missing sequences');
  });
});
