import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Integration secrets at rest: AES-256-GCM under a key from the environment.
 * A stored value reads `enc:v1:<key id>:<base64(IV || ciphertext || tag)>`;
 * the key id says which key opens it, so a key can be replaced while values
 * sealed with the old one are still read. The value is bound to its tenant
 * and column (the GCM additional data), so a sealed value copied into another
 * row or column does not open.
 */
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SEALED_PREFIX = 'enc:v1:';
const SEALED = /^enc:v1:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})$/;

interface SecretsKey {
  id: string;
  key: Buffer;
}

/** Where a secret is stored: its additional data, so it opens only there. */
export interface SecretPlace {
  tenantId: string;
  column: string;
}

/** The keys a process holds: the current one seals, every one opens. No current key means secrets are stored as they are. */
export interface SecretsKeyring {
  current: SecretsKey | null;
  keys: ReadonlyMap<string, SecretsKey>;
}

/** Thrown when a stored value cannot be opened with the keys configured. */
export class SecretsKeyError extends Error {
  override name = 'SecretsKeyError';
}

/** The first 16 hex digits of the key's SHA-256: names a key without revealing it (`base64 -d | sha256sum` gives the same). */
export function secretsKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** A key from its base64 text; throws unless it is exactly 32 bytes. */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== KEY_BYTES) {
    throw new Error(`must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
  }
  return key;
}

export function secretsKeyring(current: Buffer | null, previous: readonly Buffer[] = []): SecretsKeyring {
  const keys = new Map<string, SecretsKey>();
  for (const key of [...(current ? [current] : []), ...previous]) {
    const id = secretsKeyId(key);
    if (!keys.has(id)) keys.set(id, { id, key });
  }
  return { current: current ? keys.get(secretsKeyId(current))! : null, keys };
}

/** Where a subscription's signing secret is sealed: its own row, so it opens nowhere else. */
export const subscriptionSecretPlace = (subscription: { tenantId: string; id: string }): SecretPlace => ({
  tenantId: subscription.tenantId,
  column: `event_subscription.signing_secret:${subscription.id}`,
});

const additionalData = (place: SecretPlace) => Buffer.from(`tenant_integration.${place.column}:${place.tenantId}`, 'utf8');

export const isSealed = (value: string) => value.startsWith(SEALED_PREFIX);

/** The key id a sealed value names, or null for a value stored as it is. */
export function sealedKeyId(value: string): string | null {
  return isSealed(value) ? (SEALED.exec(value)?.[1] ?? 'unreadable') : null;
}

/** True when the value is sealed with the keyring's current key: nothing left for a rotation to do. */
export const sealedWithCurrent = (keyring: SecretsKeyring, value: string) => keyring.current !== null && sealedKeyId(value) === keyring.current.id;

/** Seals with the current key; without one the value is returned as it is (see the README on running without SECRETS_KEY). */
export function sealSecret(keyring: SecretsKeyring, plain: string, place: SecretPlace): string {
  if (!keyring.current) return plain;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, keyring.current.key, iv);
  cipher.setAAD(additionalData(place));
  const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_PREFIX}${keyring.current.id}:${sealed.toString('base64')}`;
}

/** Opens a sealed value; a value stored as it is comes back unchanged. Throws SecretsKeyError naming the key id when it cannot. */
export function openSecret(keyring: SecretsKeyring, stored: string, place: SecretPlace): string {
  if (!isSealed(stored)) return stored;
  const match = SEALED.exec(stored);
  const bytes = match ? Buffer.from(match[2]!, 'base64') : Buffer.alloc(0);
  if (!match || bytes.length < IV_BYTES + TAG_BYTES)
    throw new SecretsKeyError(`The stored ${place.column} of tenant ${place.tenantId} is not a readable sealed value`);
  const keyId = match[1]!;
  const entry = keyring.keys.get(keyId);
  if (!entry) throw new SecretsKeyError(`The stored ${place.column} of tenant ${place.tenantId} is sealed with key id ${keyId}, which no configured key has`);
  try {
    const decipher = createDecipheriv(CIPHER, entry.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(additionalData(place));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretsKeyError(`The stored ${place.column} of tenant ${place.tenantId} does not open with key id ${keyId} (damaged, or moved from another row)`);
  }
}
