import { describe, expect, it } from 'vitest';
import { decrypt, verify } from '../../examples/subscriber/subscriber.ts';
import { balanceEventRequests, balanceUpdatedEnvelope, balanceUpdatedPayload, type BalanceEventRow } from '../../src/domain/balance-events.ts';
import { generateEncryptionKey, generateSigningSecret, verifyWebhook } from '../../src/domain/webhook-crypto.ts';

const row = (accountId: number, extra: Partial<BalanceEventRow> = {}): BalanceEventRow => ({
  accountId,
  eventId: `00000000-0000-4000-8000-${String(accountId).padStart(12, '0')}`,
  version: 3,
  balance: 250.5,
  balanceExpires: null,
  changedAt: new Date('2026-12-07T10:00:00.000Z'),
  contactId: '2f1c9f5e-8c1a-4a52-9e55-3f2b8f1d0c11',
  definitionId: 1,
  failures: 0,
  ...extra,
});

describe('point.balance.updated payload and envelope', () => {
  it('has Engage’s fields in its order, then version and changedAt; balanceExpires only when there is one', () => {
    expect(Object.keys(balanceUpdatedPayload(row(7)))).toEqual(['balance', 'contactId', 'accountId', 'definitionId', 'version', 'changedAt']);
    const expiring = balanceUpdatedPayload(row(7, { balanceExpires: new Date('2027-01-01T00:00:00.000Z') }));
    expect(expiring).toMatchObject({ balanceExpires: '2027-01-01T00:00:00.000Z', version: 3, changedAt: '2026-12-07T10:00:00.000Z' });
  });

  it('says isEncrypted, and an encrypted payload opens with the tenant key in Engage’s scheme', () => {
    const key = generateEncryptionKey();
    const plain = balanceUpdatedEnvelope(row(7), 'shop', null);
    expect(plain).toEqual({
      eventType: 'point.balance.updated',
      id: row(7).eventId,
      isEncrypted: false,
      payload: balanceUpdatedPayload(row(7)),
      tenant: 'shop',
    });
    const sealed = balanceUpdatedEnvelope(row(7), 'shop', key);
    expect(sealed.isEncrypted).toBe(true);
    if (typeof sealed.payload !== 'string') throw new Error('an encrypted payload is a string');
    expect(JSON.parse(decrypt(sealed.payload, key))).toEqual(balanceUpdatedPayload(row(7)));
  });
});

describe('requests to a subscriber', () => {
  const secret = generateSigningSecret();
  const sentAt = new Date();
  const rows = Array.from({ length: 2500 }, (_, i) => row(i + 1));

  it('one per event, webhook-id being the event id, signed as Standard Webhooks', () => {
    const requests = balanceEventRequests(rows.slice(0, 3), { batch: false, tenantName: 'shop', encryptionKey: null, signingSecret: secret }, sentAt);
    expect(requests.map((request) => request.headers['webhook-id'])).toEqual(rows.slice(0, 3).map((r) => r.eventId));
    for (const request of requests) {
      expect(verify(secret, request.headers, request.body)).toBe(true);
      const received = {
        id: request.headers['webhook-id']!,
        timestamp: request.headers['webhook-timestamp']!,
        signature: request.headers['webhook-signature']!,
        body: request.body,
      };
      expect(verifyWebhook(secret, received, sentAt)).toEqual({ valid: true });
      expect(verify(generateSigningSecret(), request.headers, request.body)).toBe(false);
    }
  });

  it('in batch mode, arrays of at most 1000 envelopes, in account order', () => {
    const requests = balanceEventRequests(rows, { batch: true, tenantName: 'shop', encryptionKey: null, signingSecret: secret }, sentAt);
    expect(requests.map((request) => JSON.parse(request.body).length)).toEqual([1000, 1000, 500]);
    expect(requests.map((request) => request.rows.length)).toEqual([1000, 1000, 500]);
    expect(JSON.parse(requests[2]!.body)[499].payload.accountId).toBe(2500);
    expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(3);
    for (const request of requests) expect(verify(secret, request.headers, request.body)).toBe(true);
  });
});
