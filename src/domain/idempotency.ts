import { createHash } from 'node:crypto';

/**
 * Idempotency-Key rules, after the IETF httpapi "Idempotency-Key" draft: a key
 * is kept 24 h per tenant; the same key with the same body gets the first
 * answer again; with another body, 422; while the first request is still
 * being handled, 409.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * A claim whose request never finished (its process died between claiming the
 * key and storing the batch) is given up after this long, so the client's
 * retries are not refused with 409 for a whole day. Far above any request's
 * real duration.
 */
export const CLAIM_LEASE_MS = 60 * 1000;

/** JSON with object keys sorted at every level: bodies that differ only in key order or spacing are the same body. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const requestFingerprint = (body: unknown): string => createHash('sha256').update(canonicalJson(body)).digest('hex');

export type KeyOutcome = 'replay' | 'different-body' | 'in-flight';

/** What a request finds under a key someone else holds. A different body wins over in-flight: that retry is wrong either way. */
export function existingKeyOutcome(existing: { requestHash: string; response: unknown }, requestHash: string): KeyOutcome {
  if (existing.requestHash !== requestHash) return 'different-body';
  return existing.response === null ? 'in-flight' : 'replay';
}
