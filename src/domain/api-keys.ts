import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'pf_';

/** A new tenant API key: 256 random bits, recognisable by its prefix in logs and secret scanners. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Keys carry 256 bits of entropy, so a plain SHA-256 is a safe one-way store and
 * lets the key be found by an index lookup on its hash: the secret itself is
 * never compared, so the lookup leaks nothing about it through timing.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What an operator sees of a key after creation. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
