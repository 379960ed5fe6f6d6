import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookPayload } from '../../src/domain/adjustments.ts';
import {
  decryptPayload,
  encryptPayload,
  generateEncryptionKey,
  generateSigningSecret,
  isEncryptionKey,
  signWebhook,
  verifyWebhook,
} from '../../src/domain/webhook-crypto.ts';

const KEY = '0123456789abcdefghijklmnopqrstuv';
const AUTOMATION_JSON =
  '{"ContactId":"1dfe06cd-a1be-4423-8ed4-afd900d998aa","Amount":40,"Description":"Points awarded","Source":"Automation","PointDefinitionId":1,' +
  '"Reason":"Voyado","ProcessId":"d6342090-7410-4c00-aa4b-dbd394dac7e6","WorkflowId":"44931e65-e188-46c4-92bd-50e4818fece2","WorkflowName":""}';

/** What a master does with nothing but node:crypto and the key: independent of the code under test. */
function decryptByHand(payload: string, key: string): string {
  const bytes = Buffer.from(payload, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', Buffer.from(key, 'ascii'), bytes.subarray(0, 16));
  return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8');
}

describe('payload encryption', () => {
  it('matches a known answer computed with the openssl CLI (fixed IV 00..0f)', () => {
    // printf %s "$JSON" | openssl enc -aes-256-cbc -K <hex of KEY> -iv 000102030405060708090a0b0c0d0e0f, IV prepended, base64
    const expected =
      'AAECAwQFBgcICQoLDA0OD8Y4fbGnfQVNhwf/mrLiZyQtAIi3K6VMkFXBuFSKYaJLxTqWivWCq/wo4BLuWyei8UNclmIJ0AaaiXfVYW8F3hvl+qwEPNwbSxVjTlRdcr3/czk/' +
      'X4/HvvgcCOte9NXeKqIxe1WeA8L9SWnE6lzMub6Sf3wNkTMDe7cqjCu4hAebCmSgasvZ2c7heYg7glHmtW87fGNjN0V5GFggdE2ds6nGBaoTUfLU/c+zLvun/M5ylYSXPo1dkB+g' +
      'OaANB8dBYJhTtTzZ2bViT0Vn9Qet+DxcrECqACNW4JMApDrWjdO3XC4XBQzPHHzDhPiO8F5zwmunETfVEAiTzWov3HNeTQIM4vNe674bS89QCWavutRRTk8qYQGPAPf+0D0EdgIxyA==';
    const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    expect(encryptPayload(AUTOMATION_JSON, KEY, iv)).toBe(expected);
    expect(decryptPayload(expected, KEY)).toBe(AUTOMATION_JSON);
  });

  it('encrypts the service payload so plain node:crypto decrypts it with only the key', () => {
    const key = generateEncryptionKey();
    const payload = webhookPayload({
      contactId: '1dfe06cd-a1be-4423-8ed4-afd900d998aa',
      definitionId: 1,
      amount: 40,
      description: 'Give points from Engage',
      source: 'Manual',
      userId: 'c23f28cb-d62d-42cf-9d11-b919198409ea',
      userName: 'Jimmy User',
    });
    const encrypted = encryptPayload(JSON.stringify(payload), key);
    expect(JSON.parse(decryptByHand(encrypted, key))).toEqual({
      ContactId: '1dfe06cd-a1be-4423-8ed4-afd900d998aa',
      Amount: 40,
      Description: 'Give points from Engage',
      Source: 'Manual',
      PointDefinitionId: 1,
      UserId: 'c23f28cb-d62d-42cf-9d11-b919198409ea',
      UserName: 'Jimmy User',
    });
  });

  it('uses a fresh IV for every message', () => {
    const a = encryptPayload('same text', KEY);
    const b = encryptPayload('same text', KEY);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64').subarray(0, 16)).not.toEqual(Buffer.from(b, 'base64').subarray(0, 16));
  });

  it('keeps non-ASCII text intact', () => {
    expect(decryptPayload(encryptPayload('Poäng för recension ✓', KEY), KEY)).toBe('Poäng för recension ✓');
  });

  it('refuses a wrong key and a malformed payload', () => {
    const encrypted = encryptPayload(AUTOMATION_JSON, KEY);
    expect(() => decryptPayload(encrypted, 'vutsrqponmlkjihgfedcba9876543210')).toThrow();
    expect(() => decryptPayload('bm90IGVub3VnaA==', KEY)).toThrow(/16-byte IV/);
    expect(() => encryptPayload('x', 'too short')).toThrow(/32 printable ASCII/);
  });

  it('generates 32-character ASCII keys, different each time', () => {
    const keys = new Set(Array.from({ length: 50 }, generateEncryptionKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(isEncryptionKey(key) && Buffer.byteLength(key) === 32).toBe(true);
  });
});

describe('Standard Webhooks signatures', () => {
  const SECRET = 'whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1zZWNyZXQtMzI='; // base64 of "standard-webhooks-test-secret-32"

  it('matches an HMAC computed with the openssl CLI', () => {
    // printf %s 'msg_1.1700000000.{"a":1}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the secret bytes> -binary | base64
    expect(signWebhook(SECRET, { id: 'msg_1', timestamp: 1700000000, body: '{"a":1}' })).toBe('v1,+f4TZVFLky/jw0TTrIjthoFBJaaReM6oZCUF3NPAZeM=');
  });

  it('keys the HMAC with the base64-decoded secret, as recomputed here by hand', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ eventType: 'loyalty.addPoints', id: 'e1', payload: 'xyz', tenant: 'shop' });
    const byHand = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`e1.1714000000.${body}`)
      .digest('base64');
    expect(signWebhook(secret, { id: 'e1', timestamp: 1714000000, body })).toBe(`v1,${byHand}`);
  });

  describe('verifyWebhook', () => {
    const now = new Date(1700000000 * 1000);
    const signed = { id: 'msg_1', timestamp: '1700000000', body: '{"a":1}', signature: 'v1,+f4TZVFLky/jw0TTrIjthoFBJaaReM6oZCUF3NPAZeM=' };

    it('accepts a fresh, correctly signed message, also among several signatures', () => {
      expect(verifyWebhook(SECRET, signed, now)).toEqual({ valid: true });
      expect(verifyWebhook(SECRET, { ...signed, signature: `v1,b2xkc2lnbmF0dXJl ${signed.signature}` }, now)).toEqual({ valid: true });
    });

    it('refuses a changed body, id or secret', () => {
      expect(verifyWebhook(SECRET, { ...signed, body: '{"a":2}' }, now).valid).toBe(false);
      expect(verifyWebhook(SECRET, { ...signed, id: 'msg_2' }, now).valid).toBe(false);
      expect(verifyWebhook(generateSigningSecret(), signed, now).valid).toBe(false);
    });

    it('refuses a timestamp outside the tolerance, either way', () => {
      expect(verifyWebhook(SECRET, signed, new Date((1700000000 + 301) * 1000))).toEqual({
        valid: false,
        reason: 'webhook-timestamp is 301 s from now; at most 300 s is accepted',
      });
      expect(verifyWebhook(SECRET, signed, new Date((1700000000 - 301) * 1000)).valid).toBe(false);
      expect(verifyWebhook(SECRET, { ...signed, timestamp: 'yesterday' }, now).valid).toBe(false);
    });
  });
});
