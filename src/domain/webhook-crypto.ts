import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

// Engage's documented scheme: AES-256-CBC with PKCS#7 padding, the key being
// the tenant's 32-character ASCII key used byte for byte, and a fresh 16-byte
// IV sent in front of the ciphertext.
const CIPHER = 'aes-256-cbc';
const IV_BYTES = 16;
const KEY_CHARS = 32;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 characters from a 62-letter alphabet (~190 bits): easy to paste into the master's configuration. */
export function generateEncryptionKey(): string {
  let key = '';
  for (let i = 0; i < KEY_CHARS; i++) key += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return key;
}

/** A key the scheme can use: exactly 32 printable ASCII characters, so it is exactly 32 bytes. */
export function isEncryptionKey(key: string): boolean {
  return /^[\x21-\x7e]{32}$/.test(key);
}

function keyBytes(key: string): Buffer {
  if (!isEncryptionKey(key)) throw new Error('The encryption key must be exactly 32 printable ASCII characters');
  return Buffer.from(key, 'ascii');
}

/** `base64(IV || AES-256-CBC(plaintext))`. The IV is random unless a test fixes it. */
export function encryptPayload(plaintext: string, key: string, iv: Buffer = randomBytes(IV_BYTES)): string {
  if (iv.length !== IV_BYTES) throw new Error(`The IV must be ${IV_BYTES} bytes`);
  const cipher = createCipheriv(CIPHER, keyBytes(key), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** The inverse of encryptPayload; throws when the payload is malformed or the key is wrong (bad padding). */
export function decryptPayload(payload: string, key: string): string {
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length < IV_BYTES * 2 || (bytes.length - IV_BYTES) % 16 !== 0) {
    throw new Error('The payload is not base64 of a 16-byte IV followed by whole AES blocks');
  }
  const decipher = createDecipheriv(CIPHER, keyBytes(key), bytes.subarray(0, IV_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES)), decipher.final()]).toString('utf8');
}

// Standard Webhooks (https://www.standardwebhooks.com): the secret is `whsec_`
// + base64 of random bytes; the HMAC key is those bytes, not the text.
const SECRET_PREFIX = 'whsec_';
const SIGNATURE_VERSION = 'v1';
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function secretBytes(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length === 0) throw new Error('The signing secret must be whsec_ followed by base64');
  return bytes;
}

export interface SignedContent {
  /** The webhook-id header: the event id, the same on every retry. */
  id: string;
  /** The webhook-timestamp header: unix seconds of this attempt. */
  timestamp: number;
  /** The exact request body as sent. */
  body: string;
}

/** The webhook-signature header value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signWebhook(secret: string, content: SignedContent): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${content.id}.${content.timestamp}.${content.body}`).digest('base64');
  return `${SIGNATURE_VERSION},${mac}`;
}

export type Verification = { valid: true } | { valid: false; reason: string };

/**
 * Checks a received webhook: the timestamp is within `toleranceSeconds` of now
 * (stops replays of old captures) and one of the space-separated signatures
 * matches (a sender may list several while it rotates secrets).
 */
export function verifyWebhook(
  secret: string,
  received: { id: string; timestamp: string; signature: string; body: string },
  now: Date,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Verification {
  if (!/^\d+$/.test(received.timestamp)) return { valid: false, reason: 'webhook-timestamp is not unix seconds' };
  const timestamp = Number(received.timestamp);
  const age = Math.floor(now.getTime() / 1000) - timestamp;
  if (Math.abs(age) > toleranceSeconds) {
    return { valid: false, reason: `webhook-timestamp is ${age} s from now; at most ${toleranceSeconds} s is accepted` };
  }
  const expected = Buffer.from(signWebhook(secret, { id: received.id, timestamp, body: received.body }));
  const matches = received.signature
    .split(' ')
    .map((candidate) => Buffer.from(candidate))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  return matches ? { valid: true } : { valid: false, reason: 'no signature in webhook-signature matches the secret' };
}
