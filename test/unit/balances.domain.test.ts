import { describe, expect, it } from 'vitest';
import { isStale, planBalanceBatch, staleSkip } from '../../src/domain/balances.ts';

const A = '00000000-0000-0000-0000-00000000000a';
const B = '00000000-0000-0000-0000-00000000000b';
const item = (contactId: string, amount: number, timeStamp: string, definitionId = 1) => ({ contactId, amount, definitionId, timeStamp });

describe('isStale', () => {
  it('is false when nothing was applied yet', () => {
    expect(isStale(new Date('2024-01-01T00:00:00Z'), null)).toBe(false);
  });
  it('is true only for strictly older balances', () => {
    const applied = new Date('2024-01-01T12:00:00.500Z');
    expect(isStale(new Date('2024-01-01T12:00:00.499Z'), applied)).toBe(true);
    expect(isStale(new Date('2024-01-01T12:00:00.500Z'), applied)).toBe(false);
    expect(isStale(new Date('2024-01-01T12:00:00.501Z'), applied)).toBe(false);
  });
  it('compares instants, not the offsets they are written in', () => {
    expect(isStale(new Date('2024-01-01T13:00:00+02:00'), new Date('2024-01-01T12:00:00Z'))).toBe(true);
  });
});

describe('planBalanceBatch', () => {
  const known = new Set([1, 2]);

  it('keeps the newest balance per account and skips the older one', () => {
    const plan = planBalanceBatch([item(A, 10, '2024-01-02T00:00:00Z'), item(A, 5, '2024-01-01T00:00:00Z')], known);
    expect(plan.winners).toEqual([{ ...item(A, 10, '2024-01-02T00:00:00Z'), index: 0 }]);
    expect(plan.skipped).toEqual([{ index: 1, message: 'Item [1] skipped: superseded by item [0] for the same account in this batch' }]);
  });

  it('gives ties to the later item', () => {
    const plan = planBalanceBatch([item(A, 1, '2024-01-01T00:00:00Z'), item(A, 2, '2024-01-01T00:00:00Z'), item(A, 3, '2024-01-01T00:00:00Z')], known);
    expect(plan.winners.map((w) => [w.index, w.amount])).toEqual([[2, 3]]);
    expect(plan.skipped.map((s) => s.index)).toEqual([0, 1]);
  });

  it('treats each definition of a contact as its own account', () => {
    const plan = planBalanceBatch([item(A, 1, '2024-01-01T00:00:00Z', 1), item(A, 2, '2024-01-01T00:00:00Z', 2)], known);
    expect(plan.winners.map((w) => w.amount)).toEqual([1, 2]);
    expect(plan.skipped).toEqual([]);
  });

  it('skips unknown definitions with a message naming the id', () => {
    const plan = planBalanceBatch([item(A, 1, '2024-01-01T00:00:00Z', 9)], known);
    expect(plan.winners).toEqual([]);
    expect(plan.skipped).toEqual([{ index: 0, message: 'Item [0] skipped: unknown definitionId 9' }]);
  });

  it('sorts winners by contact then definition, whatever the request order', () => {
    const plan = planBalanceBatch([item(B, 1, '2024-01-01T00:00:00Z', 2), item(A, 2, '2024-01-01T00:00:00Z', 2), item(B, 3, '2024-01-01T00:00:00Z', 1)], known);
    expect(plan.winners.map((w) => [w.contactId, w.definitionId])).toEqual([
      [A, 2],
      [B, 1],
      [B, 2],
    ]);
  });
});

describe('staleSkip', () => {
  it('explains the skip with both timestamps', () => {
    const skip = staleSkip({ ...item(A, 1, '2024-01-01T00:00:00Z'), index: 4 }, new Date('2024-02-01T00:00:00Z'));
    expect(skip).toEqual({
      index: 4,
      message: 'Item [4] skipped: timeStamp 2024-01-01T00:00:00Z is older than the balance already applied (2024-02-01T00:00:00.000Z)',
    });
  });
  it('refuses to call a fresh balance stale', () => {
    expect(() => staleSkip({ ...item(A, 1, '2024-03-01T00:00:00Z'), index: 0 }, new Date('2024-02-01T00:00:00Z'))).toThrow(/not stale/);
  });
});
