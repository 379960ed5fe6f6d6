import { describe, expect, it } from 'vitest';
import { canonicalJson, existingKeyOutcome, requestFingerprint } from '../../src/domain/idempotency.ts';

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson([{ b: 1, a: { d: [2, 1], c: null } }])).toBe('[{"a":{"c":null,"d":[2,1]},"b":1}]');
  });
});

describe('requestFingerprint', () => {
  it('is the same for bodies that differ only in key order', () => {
    expect(requestFingerprint([{ amount: 1, contactId: 'x' }])).toBe(requestFingerprint([{ contactId: 'x', amount: 1 }]));
  });
  it('differs when a value or the row order differs', () => {
    const base = requestFingerprint([{ amount: 1 }, { amount: 2 }]);
    expect(requestFingerprint([{ amount: 1 }, { amount: 3 }])).not.toBe(base);
    expect(requestFingerprint([{ amount: 2 }, { amount: 1 }])).not.toBe(base);
  });
});

describe('existingKeyOutcome', () => {
  it('replays a finished request with the same body', () => {
    expect(existingKeyOutcome({ requestHash: 'h', response: { id: 'x' } }, 'h')).toBe('replay');
  });
  it('reports a request still in flight', () => {
    expect(existingKeyOutcome({ requestHash: 'h', response: null }, 'h')).toBe('in-flight');
  });
  it('refuses another body, in flight or not', () => {
    expect(existingKeyOutcome({ requestHash: 'h', response: { id: 'x' } }, 'other')).toBe('different-body');
    expect(existingKeyOutcome({ requestHash: 'h', response: null }, 'other')).toBe('different-body');
  });
});
