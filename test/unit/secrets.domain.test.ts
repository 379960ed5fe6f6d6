import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, parseSecretsKey, sealedKeyId, sealSecret, SecretsKeyError, secretsKeyId, secretsKeyring } from '../../src/domain/secrets.ts';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const place = { tenantId: '5b7f3d1e-0000-4000-8000-000000000001', column: 'points_log_auth_header_value' };

describe('integration secrets at rest', () => {
  it('names a key by the first 16 hex digits of its SHA-256', () => {
    expect(secretsKeyId(OLD)).toBe(createHash('sha256').update(OLD).digest('hex').slice(0, 16));
    expect(parseSecretsKey(` ${OLD.toString('base64')}\n`)).toEqual(OLD);
    expect(() => parseSecretsKey(randomBytes(16).toString('base64'))).toThrow('must be 32 bytes in base64');
    expect(() => parseSecretsKey('%%%')).toThrow('must be 32 bytes in base64');
  });

  it('seals with the current key, under its id, afresh each time, and opens it again', () => {
    const keyring = secretsKeyring(OLD);
    const sealed = sealSecret(keyring, 'Bearer s3cret', place);
    expect(sealed).toMatch(new RegExp(`^enc:v1:${secretsKeyId(OLD)}:[A-Za-z0-9+/]+=*$`));
    expect(sealed).not.toContain('s3cret');
    expect(sealSecret(keyring, 'Bearer s3cret', place)).not.toBe(sealed);
    expect(sealedKeyId(sealed)).toBe(secretsKeyId(OLD));
    expect(openSecret(keyring, sealed, place)).toBe('Bearer s3cret');
    expect(openSecret(keyring, '', place)).toBe('');
    expect(openSecret(keyring, sealSecret(keyring, '', place), place)).toBe('');
  });

  it('opens values of a previous key and seals only with the current one', () => {
    const before = sealSecret(secretsKeyring(OLD), 'whsec_abc', place);
    const rotated = secretsKeyring(NEW, [OLD]);
    expect(openSecret(rotated, before, place)).toBe('whsec_abc');
    expect(sealedKeyId(sealSecret(rotated, 'whsec_abc', place))).toBe(secretsKeyId(NEW));
  });

  it('refuses, naming the key id, a value whose key is not configured', () => {
    const sealed = sealSecret(secretsKeyring(OLD), 'x', place);
    for (const keyring of [secretsKeyring(NEW), secretsKeyring(null)]) {
      expect(() => openSecret(keyring, sealed, place)).toThrow(SecretsKeyError);
      expect(() => openSecret(keyring, sealed, place)).toThrow(`sealed with key id ${secretsKeyId(OLD)}, which no configured key has`);
    }
  });

  it('refuses a value moved to another tenant or column, or altered', () => {
    const keyring = secretsKeyring(OLD);
    const sealed = sealSecret(keyring, 'x', place);
    expect(() => openSecret(keyring, sealed, { ...place, tenantId: '5b7f3d1e-0000-4000-8000-000000000002' })).toThrow('does not open');
    expect(() => openSecret(keyring, sealed, { ...place, column: 'webhook_signing_secret' })).toThrow('does not open');
    const bytes = Buffer.from(sealed.split(':')[3]!, 'base64');
    bytes[14]! ^= 1;
    expect(() => openSecret(keyring, `enc:v1:${secretsKeyId(OLD)}:${bytes.toString('base64')}`, place)).toThrow('does not open');
    expect(() => openSecret(keyring, 'enc:v1:garbage', place)).toThrow('not a readable sealed value');
  });

  it('without a key stores values as they are, and reads plain values as they are', () => {
    const none = secretsKeyring(null);
    expect(sealSecret(none, 'Bearer plain', place)).toBe('Bearer plain');
    expect(openSecret(secretsKeyring(OLD), 'Bearer plain', place)).toBe('Bearer plain');
    expect(sealedKeyId('Bearer plain')).toBeNull();
  });
});
