import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { expect } from 'vitest';
import type { PointMaster } from '../../../examples/point-master/app.ts';
import { connectPointMaster } from '../../support/point-master.ts';
import { sleep } from './services.ts';
import type { FaultSystem } from './system.ts';

/** The reference point master on a free 127.0.0.1 port, registered as the tenant's webhook receiver. */
export async function listeningPointMaster(
  system: FaultSystem,
  tenant: { id: string; key: string },
  setUp?: (master: PointMaster) => void,
): Promise<PointMaster> {
  const adminPut = (path: string, body: object) => system.admin('PUT', path, body);
  return (await connectPointMaster(adminPut, tenant, { followerUrl: system.apiUrl, logger: false }, setUp)).master;
}

export interface SentAdjustment {
  eventId: string;
  contactId: string;
  amount: number;
}

/** `count` adjustments over 20 contacts through the tenant API, each answered 202. */
export async function sendAdjustments(system: FaultSystem, tenant: { key: string }, count: number): Promise<SentAdjustment[]> {
  const contacts = Array.from({ length: 20 }, () => randomUUID());
  const sent: SentAdjustment[] = [];
  for (let i = 0; i < count; i++) {
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
  return sent;
}

/**
 * `count` adjustments over 20 contacts, spread over several APIs while some of
 * them may be killed: each carries an Idempotency-Key and is sent again (to
 * the next API) until it is answered 202, so one whose answer was lost is
 * still recorded once. Answers what was sent, and every answer that was not a
 * 202 by status (409 while a killed API's claim on the key is still leased).
 */
export async function sendAdjustmentsUntilAccepted(
  apiUrls: string[],
  tenant: { key: string },
  count: number,
  options: { inFlight: number; pauseMs: number; deadlineMs?: number },
): Promise<{ sent: SentAdjustment[]; refusals: Record<number, number>; failures: Record<string, number> }> {
  const contacts = Array.from({ length: 20 }, () => randomUUID());
  const sent: SentAdjustment[] = [];
  const refusals: Record<number, number> = {};
  const failures: Record<string, number> = {};
  const deadline = Date.now() + (options.deadlineMs ?? 240_000);
  let next = 0;
  const sender = async () => {
    for (let i = next++; i < count; i = next++) {
      const body = {
        contactId: contacts[i % contacts.length]!,
        definitionId: 1,
        amount: (i % 7) + 1,
        description: `adjustment ${i}`,
        source: 'Manual',
        userId: randomUUID(),
        userName: 'Operator',
      };
      const headers = { apikey: tenant.key, 'content-type': 'application/json', 'idempotency-key': randomUUID() };
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > deadline) throw new Error(`adjustment ${i} not accepted before the deadline: ${JSON.stringify({ refusals, failures })}`);
        try {
          const response = await request(`${apiUrls[(i + attempt) % apiUrls.length]}/api/v2/point-accounts/adjustments`, {
            method: 'POST',
            headers,
            body: JSON.stringify(body),
            reset: true,
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          });
          const answer = (await response.body.json()) as { eventId?: string };
          if (response.statusCode === 202 && answer.eventId) {
            sent.push({ eventId: answer.eventId, contactId: body.contactId, amount: body.amount });
            break;
          }
          refusals[response.statusCode] = (refusals[response.statusCode] ?? 0) + 1;
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          failures[code] = (failures[code] ?? 0) + 1;
        }
        await sleep(100);
      }
      await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, sender));
  return { sent, refusals, failures };
}

/** Waits until every delivery is Delivered, then checks the master applied each event once and its books add up exactly. */
export async function expectAllDelivered(system: FaultSystem, master: PointMaster, sent: SentAdjustment[], timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await system.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM webhook_delivery GROUP BY state`);
    if (rows.length === 1 && rows[0]!.state === 'Delivered' && rows[0]!.n === sent.length) break;
    if (Date.now() > until) throw new Error(`deliveries not finished: ${JSON.stringify(rows)}`);
    await sleep(250);
  }
  // The master de-duplicates by event id: each event applied there once means its balances are the exact sums.
  for (const { eventId } of sent) expect(master.store.hasApplied(eventId), eventId).toBe(true);
  const expected = new Map<string, number>();
  for (const { contactId, amount } of sent) expected.set(contactId, (expected.get(contactId) ?? 0) + amount);
  for (const [contactId, total] of expected) expect(master.store.balance(contactId, 1)).toBe(total);
}
