import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balanceBatchBody, canonicalBalanceBatch } from '../../src/contracts/balances.ts';
import { INT32 } from '../../src/contracts/common.ts';

const canonicalTime = fc
  .date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

/** Items as masters send them: contactId, amount, definitionId and timeStamp in their canonical forms. */
/** A decimal with up to 4 places in range, as JSON.parse reads its text. */
const fourPlaces = fc.integer({ min: -(2 ** 31) * 10 ** 4, max: INT32.max * 10 ** 4 }).map((units) => units / 10 ** 4);

const canonicalItem = fc.record({
  contactId: fc.uuid(),
  amount: fc.oneof(fc.integer(INT32), fourPlaces),
  definitionId: fc.integer({ min: 1, max: INT32.max }),
  timeStamp: canonicalTime,
});

/** Anything near that: other spellings of valid values, values out of range, wrong types, missing and extra fields. */
const anyItem = fc.oneof(
  canonicalItem,
  fc.record(
    {
      contactId: fc.oneof(
        fc.uuid(),
        fc.uuid().map((id) => id.toUpperCase()),
        fc.string(),
        fc.integer(),
      ),
      amount: fc.oneof(fc.integer(INT32), fourPlaces, fc.constant(INT32.max + 1), fc.constant(1.00005), fc.double(), fc.string()),
      definitionId: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant(INT32.max + 1), fc.double()),
      timeStamp: fc.oneof(
        canonicalTime,
        fc.constantFrom('2024-05-16T12:20:03Z', '2024-05-16T14:20:03.807+02:00', '2024-02-30T00:00:00.000Z', '+010000-01-01T00:00:00.000Z'),
        fc.string(),
      ),
      extra: fc.string(),
    },
    { requiredKeys: [] },
  ),
  fc.constantFrom(null, 7, 'item', [1]),
);

describe('canonicalBalanceBatch', () => {
  it('answers exactly what the schema answers whenever it accepts a batch', () => {
    fc.assert(
      fc.property(fc.array(anyItem, { maxLength: 6 }), (batch) => {
        const fast = canonicalBalanceBatch(batch);
        if (fast === null) return;
        const parsed = balanceBatchBody.safeParse(batch);
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts batches in the canonical form, leaving the schema the rest', () => {
    fc.assert(
      fc.property(fc.array(canonicalItem, { minLength: 1, maxLength: 20 }), (batch) => {
        expect(canonicalBalanceBatch(batch)).toEqual(batch);
      }),
    );
    expect(canonicalBalanceBatch([])).toBeNull();
    expect(
      canonicalBalanceBatch([{ contactId: 'ABCDEF01-0000-0000-0000-000000000001', amount: 1, definitionId: 1, timeStamp: '2024-01-01T00:00:00.000Z' }]),
    ).toBeNull();
  });

  it('keeps only the schema fields, as the schema does', () => {
    const item = { contactId: '00000000-0000-0000-0000-000000000001', amount: 5, definitionId: 1, timeStamp: '2024-01-01T00:00:00.000Z' };
    expect(canonicalBalanceBatch([{ ...item, note: 'dropped' }])).toEqual([item]);
  });
});
