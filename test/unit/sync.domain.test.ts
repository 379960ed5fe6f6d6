import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredTransaction } from '../../src/domain/transactions.ts';
import { advanceStream, type IdentifiedEntry, indexEntries, judgeIdentity, repeatsWithinRequest, sentFieldsOf, type SyncGap } from '../../src/domain/sync.ts';

const T0 = new Date('2032-01-01T00:00:00.000Z');

/** Applies advanceStream's answer to a full list of gaps, as the repository does. */
function applyTo(gaps: SyncGap[], highest: number, applied: number[], now: Date) {
  const sorted = [...new Set(applied)].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const last = sorted.at(-1) ?? 0;
  const overlapping = gaps.filter((g) => g.from <= last && g.to >= first);
  const next = advanceStream(highest, overlapping, sorted, now);
  const kept = gaps.filter((g) => !next.removed.includes(g.from));
  return { gaps: [...kept, ...next.added].sort((a, b) => a.from - b.from), highest: next.highestSequence };
}

describe('advanceStream', () => {
  it('opens a gap for skipped sequences and cuts applied ones out, keeping when each was first seen', () => {
    const t1 = new Date(T0.getTime() + 1000);
    let state = applyTo([], 0, [1, 2, 5, 9], T0);
    expect(state).toEqual({
      highest: 9,
      gaps: [
        { from: 3, to: 4, since: T0 },
        { from: 6, to: 8, since: T0 },
      ],
    });
    state = applyTo(state.gaps, state.highest, [7, 3, 12], t1);
    expect(state).toEqual({
      highest: 12,
      gaps: [
        { from: 4, to: 4, since: T0 },
        { from: 6, to: 6, since: T0 },
        { from: 8, to: 8, since: T0 },
        { from: 10, to: 11, since: t1 },
      ],
    });
  });

  it('for any arrival order of distinct sequences, the gaps are exactly the missing numbers below the highest', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 15 }), { maxLength: 8 }), (batches) => {
        let state = { gaps: [] as SyncGap[], highest: 0 };
        const seen = new Set<number>();
        batches.forEach((batch, i) => {
          // The ledger's unique key lets each sequence through once.
          const fresh = [...new Set(batch)].filter((s) => !seen.has(s));
          fresh.forEach((s) => seen.add(s));
          state = applyTo(state.gaps, state.highest, fresh, new Date(T0.getTime() + i));
        });
        const highest = Math.max(0, ...seen);
        const missing: number[] = [];
        for (let s = 1; s <= highest; s++) if (!seen.has(s)) missing.push(s);
        const listed = state.gaps.flatMap((g) => Array.from({ length: g.to - g.from + 1 }, (_, k) => g.from + k));
        expect(state.highest).toBe(highest);
        expect(listed).toEqual(missing);
        // Ranges are maximal: no two touch.
        for (let k = 1; k < state.gaps.length; k++) expect(state.gaps[k]!.from).toBeGreaterThan(state.gaps[k - 1]!.to + 1);
      }),
    );
  });
});

const base: StoredTransaction = {
  index: 0,
  contactId: '00000000-0000-0000-0000-000000000001',
  definitionId: 1,
  amount: 10,
  source: 'Purchase',
  description: 'Tea',
  transactionDate: T0.toISOString(),
  validFrom: T0.toISOString(),
  validTo: null,
};

/** The entry the ledger holds for `row` as first sent. */
const entryOf = (row: StoredTransaction, id: number): IdentifiedEntry => ({
  id,
  externalId: row.externalId ?? null,
  sequence: row.sequence ?? null,
  sentFields: row.sentFields ?? 0,
  contactId: row.contactId,
  definitionId: row.definitionId,
  amount: row.amount,
  source: row.source,
  description: row.description,
  transactionDate: row.transactionDate,
  validFrom: row.validFrom,
  validTo: row.validTo,
});

describe('row identity', () => {
  it('records which optional fields were sent; validTo null is validTo left out', () => {
    expect(sentFieldsOf({})).toBe(0);
    expect(sentFieldsOf({ timeStamp: 'x', validFrom: 'y', validTo: 'z' })).toBe(7);
    expect(sentFieldsOf({ validTo: null })).toBe(0);
    expect(sentFieldsOf({ validFrom: 'y' })).toBe(2);
  });

  it('judges new, duplicate and conflict rows, and names a row whose externalId and sequence point at two entries', () => {
    const row: StoredTransaction = { ...base, externalId: 'a', sequence: 1, sentFields: 0 };
    const same = indexEntries([entryOf(row, 7)]);
    expect(judgeIdentity(row, indexEntries([]))).toEqual({ kind: 'new' });
    expect(judgeIdentity(row, same)).toEqual({ kind: 'duplicate', duplicate: { index: 0, externalId: 'a', sequence: 1, transactionId: 7 } });
    // Re-sent later without validFrom: the stored default is not compared.
    expect(judgeIdentity({ ...row, validFrom: '2032-02-02T00:00:00.000Z', transactionDate: '2032-02-02T00:00:00.000Z' }, same).kind).toBe('duplicate');
    const conflict = { kind: 'conflict', message: 'Row [0].externalId: externalId "a" is already transaction 7, with other content' };
    expect(judgeIdentity({ ...row, amount: 11 }, same)).toEqual(conflict);
    // validFrom given now, left out then: not the same row, even with the very value it defaulted to.
    expect(judgeIdentity({ ...row, sentFields: 2 }, same)).toEqual(conflict);
    expect(judgeIdentity({ ...row, sequence: 2 }, same)).toEqual(conflict);
    const split = indexEntries([entryOf({ ...row, sequence: 3 }, 7), entryOf({ ...row, externalId: 'b' }, 8)]);
    expect(judgeIdentity(row, split)).toEqual({
      kind: 'conflict',
      message: 'Row [0].sequence: externalId "a" is transaction 7, but sequence 1 is transaction 8',
    });
  });

  it('refuses the later of two rows of one request sharing an externalId or a sequence', () => {
    const rows = [
      { ...base, index: 0, externalId: 'a' },
      { ...base, index: 1, sequence: 4 },
      { ...base, index: 2, externalId: 'a', sequence: 9 },
      { ...base, index: 3, externalId: 'c', sequence: 4 },
      { ...base, index: 4, externalId: 'd', sequence: 9 },
    ];
    expect(repeatsWithinRequest(rows)).toEqual(
      new Map([
        [2, 'Row [2].externalId: the same externalId as row [0] of this request'],
        [3, 'Row [3].sequence: the same sequence as row [1] of this request'],
      ]),
    );
  });
});
