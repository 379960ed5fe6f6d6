import { randomUUID } from 'node:crypto';
import { signWebhook, encryptPayload } from './webhook-crypto.ts';

/** Engage's event for a changed point balance. */
const BALANCE_UPDATED_EVENT = 'point.balance.updated' as const;
export type BalanceUpdatedEventType = typeof BALANCE_UPDATED_EVENT;
export const SUBSCRIPTION_EVENTS = [BALANCE_UPDATED_EVENT] as const;

/** At most this many envelopes in one request of a subscription in batch mode. */
export const MAX_EVENTS_PER_REQUEST = 1000;
/** A subscription not in batch mode gets one request per event, this many at a time. */
export const SINGLE_EVENTS_IN_FLIGHT = 32;

/** One outbox row as the sender claimed it: the newest version of one account's figures for one subscription. */
export interface BalanceEventRow {
  accountId: number;
  eventId: string;
  version: number;
  balance: number;
  balanceExpires: Date | null;
  changedAt: Date;
  contactId: string;
  definitionId: number;
  failures: number;
}

/**
 * The payload Engage documents ({balance, contactId, accountId, definitionId,
 * balanceExpires}) plus two extensions: `version`, which goes up by one per
 * change of the account and never back, and `changedAt`, when the change took
 * effect (for a change time made, the instant a lot turned active or expired,
 * not when the follower noticed).
 */
export function balanceUpdatedPayload(row: BalanceEventRow) {
  return {
    balance: row.balance,
    contactId: row.contactId,
    accountId: row.accountId,
    definitionId: row.definitionId,
    ...(row.balanceExpires && { balanceExpires: row.balanceExpires.toISOString() }),
    version: row.version,
    changedAt: row.changedAt.toISOString(),
  };
}

/** The envelope: Engage's {eventType, id, isEncrypted, payload, tenant}; an encrypted payload is base64(IV || AES-256-CBC(JSON)). */
export function balanceUpdatedEnvelope(row: BalanceEventRow, tenantName: string, encryptionKey: string | null) {
  const payload = balanceUpdatedPayload(row);
  return {
    eventType: BALANCE_UPDATED_EVENT,
    id: row.eventId,
    isEncrypted: encryptionKey !== null,
    payload: encryptionKey === null ? payload : encryptPayload(JSON.stringify(payload), encryptionKey),
    tenant: tenantName,
  };
}

/**
 * The HTTP requests that carry `rows` to a subscriber, signed per Standard
 * Webhooks: one per event (webhook-id = the event id, the same on every
 * retry), or in batch mode one request whose body is an array of envelopes
 * (webhook-id = a fresh id per request; the events' own ids are inside).
 */
export function balanceEventRequests(
  rows: readonly BalanceEventRow[],
  subscription: { batch: boolean; tenantName: string; encryptionKey: string | null; signingSecret: string },
  sentAt: Date,
): { rows: BalanceEventRow[]; body: string; headers: Record<string, string> }[] {
  const timestamp = Math.floor(sentAt.getTime() / 1000);
  const signed = (id: string, body: string) => ({
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(subscription.signingSecret, { id, timestamp, body }),
    },
  });
  const envelope = (row: BalanceEventRow) => balanceUpdatedEnvelope(row, subscription.tenantName, subscription.encryptionKey);
  if (!subscription.batch) return rows.map((row) => ({ rows: [row], ...signed(row.eventId, JSON.stringify(envelope(row))) }));
  const requests = [];
  for (let start = 0; start < rows.length; start += MAX_EVENTS_PER_REQUEST) {
    const chunk = rows.slice(start, start + MAX_EVENTS_PER_REQUEST);
    requests.push({ rows: chunk, ...signed(`batch_${randomUUID()}`, JSON.stringify(chunk.map(envelope))) });
  }
  return requests;
}
