import { describe, expect, it } from 'vitest';
import { followedByLater, offsetDescription, reconciliationOutcome, repairCounts } from '../../src/domain/reconciliations.ts';

describe('repairCounts', () => {
  it('counts what is still missing of the master figure, of the repair’s own sign, never past zero', () => {
    const adds = { amount: 50, target: 150 };
    expect(repairCounts(adds, 100)).toBe(50);
    expect(repairCounts(adds, 150)).toBe(0);
    expect(repairCounts(adds, 130.25)).toBe(19.75);
    // rows overshoot: the repair counts nothing, it never takes points
    expect(repairCounts(adds, 180)).toBe(0);
    // a missing deduction arrived first: the repair must now add more than it found
    expect(repairCounts(adds, 70)).toBe(80);
    const takes = { amount: -40, target: 60 };
    expect(repairCounts(takes, 100)).toBe(-40);
    expect(repairCounts(takes, 60)).toBe(0);
    expect(repairCounts(takes, 30)).toBe(0);
    expect(repairCounts({ amount: 0.3, target: 1 }, 0.9)).toBe(0.1);
  });
});

describe('offsetDescription', () => {
  const repair = { entryId: 41, reconciliationId: '6f1c0000-0000-4000-8000-000000000000' };
  it('names the repair, its reconciliation and what arrived', () => {
    expect(offsetDescription(repair, { transactions: [42] })).toBe(
      'Offsets repair 41 (reconciliation 6f1c0000-0000-4000-8000-000000000000): transaction 42 arrived after it, dated at or before its asOf',
    );
    expect(offsetDescription(repair, { transactions: [1, 2, 3, 4, 5, 6, 7] })).toBe(
      'Offsets repair 41 (reconciliation 6f1c0000-0000-4000-8000-000000000000): transactions 1, 2, 3, 4, 5 and 2 more arrived after it, dated at or before its asOf',
    );
    expect(offsetDescription(repair, { repair: 50, how: 'written' })).toBe(
      'Offsets repair 41 (reconciliation 6f1c0000-0000-4000-8000-000000000000): repair 50, dated earlier, was written after it',
    );
    expect(offsetDescription(repair, { repair: 39, how: 'offset' })).toBe(
      'Offsets repair 41 (reconciliation 6f1c0000-0000-4000-8000-000000000000): repair 39, dated earlier, was offset',
    );
  });
});

describe('followedByLater', () => {
  it('marks what a later completed reconciliation of the same tenant followed, and only that', () => {
    const newestFirst = [
      { id: 'a3', tenantId: 'A', status: 'Comparing' as const },
      { id: 'b2', tenantId: 'B', status: 'Completed' as const },
      { id: 'a2', tenantId: 'A', status: 'Completed' as const },
      { id: 'b1', tenantId: 'B', status: 'Completed' as const },
      { id: 'a1', tenantId: 'A', status: 'Completed' as const },
      { id: 'c1', tenantId: 'C', status: 'Completed' as const },
    ];
    // a2 is followed only by a3, which has not completed.
    expect([...followedByLater(newestFirst)].sort()).toEqual(['a1', 'b1']);
    const drifted = { status: 'Completed' as const, drifted: 2, repair: false, repaired: 0 };
    expect(reconciliationOutcome(drifted)).toBe('drifted');
    expect(reconciliationOutcome(drifted, true)).toBe('followed');
    expect(reconciliationOutcome({ ...drifted, drifted: 0 }, true)).toBe('matched');
  });
});
