// What a point master needs to read the follower's webhooks, with nothing but
// node:crypto. Deliberately written apart from the follower's own code: copy
// this file into your master.
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Engage's scheme: payload = base64(IV || AES-256-CBC ciphertext), PKCS#7
 * padding, the key being the tenant's 32-character ASCII key used as bytes.
 */
export function decryptPayload(payload: string, encryptionKey: string): string {
  const key = Buffer.from(encryptionKey, 'ascii');
  if (key.length !== 32) throw new Error('The encryption key must be 32 ASCII characters');
  const bytes = Buffer.from(payload, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, bytes.subarray(0, 16)); // PKCS#7 is Node's default padding
  return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8');
}

export interface SignedRequest {
  /** The webhook-id header. */
  id: string;
  /** The webhook-timestamp header (unix seconds). */
  timestamp: string;
  /** The webhook-signature header: one or more space-separated `v1,<base64>`. */
  signature: string;
  /** The raw request body, exactly as received: re-serialized JSON would not match. */
  body: string;
}

/**
 * Standard Webhooks verification: HMAC-SHA256 over "id.timestamp.body", keyed
 * with the base64-decoded part of the whsec_ secret, and a timestamp close to
 * now so that a captured request cannot be replayed later.
 */
export function verifySignature(request: SignedRequest, signingSecret: string, toleranceSeconds: number, nowMs = Date.now()): string | null {
  const timestamp = Number(request.timestamp);
  if (!Number.isInteger(timestamp)) return 'webhook-timestamp is not unix seconds';
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return 'webhook-timestamp is too far from now';

  const key = Buffer.from(signingSecret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${request.id}.${request.timestamp}.${request.body}`).digest();
  const matches = request.signature.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? null : 'no v1 signature matches';
}
