import type { DuplicateRow, StoredTransaction, TransactionContent } from './transactions.ts';

/**
 * Sync assurance, without I/O: a transaction row's identity (externalId,
 * sequence) and content, and the tenant's stream position (which sequences
 * have arrived). db/sync.repository.ts and db/ledger.repository.ts keep what
 * these functions decide.
 */

/**
 * Which of the optional fields the master sent: 1 timeStamp, 2 validFrom,
 * 4 validTo (null counts as left out: both mean "never"). A row left without
 * validFrom is stored with the request time, so comparing stored values alone
 * would make a re-sent row a conflict; with this mask a field left out
 * matches only a field left out, never the default it got.
 */
export function sentFieldsOf(row: { timeStamp?: string | undefined; validFrom?: string | undefined; validTo?: string | null | undefined }): number {
  return (row.timeStamp !== undefined ? 1 : 0) | (row.validFrom !== undefined ? 2 : 0) | (row.validTo !== undefined && row.validTo !== null ? 4 : 0);
}

/** A ledger entry that carries an identity, with what it was sent as. Times are canonical ISO strings, as rows carry them. */
export interface IdentifiedEntry extends TransactionContent {
  id: number;
  externalId: string | null;
  sequence: number | null;
  sentFields: number | null;
}

/**
 * The same row as sent: every field equal, externalId and sequence included,
 * the same optional fields sent, and those equal (times compared as the
 * canonical instants both sides hold).
 */
function sameRow(row: StoredTransaction, entry: IdentifiedEntry): boolean {
  const sent = row.sentFields ?? 0;
  return (
    entry.sentFields === sent &&
    entry.contactId === row.contactId &&
    entry.definitionId === row.definitionId &&
    entry.amount === row.amount &&
    entry.source === row.source &&
    entry.description === row.description &&
    entry.externalId === (row.externalId ?? null) &&
    entry.sequence === (row.sequence ?? null) &&
    ((sent & 1) === 0 || entry.transactionDate === row.transactionDate) &&
    ((sent & 2) === 0 || entry.validFrom === row.validFrom) &&
    ((sent & 4) === 0 || entry.validTo === row.validTo)
  );
}

export type IdentityVerdict = { kind: 'new' } | { kind: 'duplicate'; duplicate: DuplicateRow } | { kind: 'conflict'; message: string };

/** Index of identified entries by externalId and by sequence. */
export function indexEntries(entries: readonly IdentifiedEntry[]) {
  const byExternalId = new Map<string, IdentifiedEntry>();
  const bySequence = new Map<number, IdentifiedEntry>();
  for (const entry of entries) {
    if (entry.externalId !== null) byExternalId.set(entry.externalId, entry);
    if (entry.sequence !== null) bySequence.set(entry.sequence, entry);
  }
  return { byExternalId, bySequence };
}
export type EntryIndex = ReturnType<typeof indexEntries>;

function duplicateOf(row: StoredTransaction, transactionId: number): DuplicateRow {
  return {
    index: row.index,
    ...(row.externalId !== undefined ? { externalId: row.externalId } : {}),
    ...(row.sequence !== undefined ? { sequence: row.sequence } : {}),
    transactionId,
  };
}

/**
 * A row against the ledger's entries of the same externalId or sequence:
 * new when there is none; a duplicate when the entry is this very row as
 * sent; otherwise a conflict, refused with a message naming the entry.
 */
export function judgeIdentity(row: StoredTransaction, ledger: EntryIndex): IdentityVerdict {
  const byId = row.externalId !== undefined ? ledger.byExternalId.get(row.externalId) : undefined;
  const bySeq = row.sequence !== undefined ? ledger.bySequence.get(row.sequence) : undefined;
  const entry = byId ?? bySeq;
  if (!entry) return { kind: 'new' };
  if (byId && bySeq && byId.id !== bySeq.id) {
    return {
      kind: 'conflict',
      message: `Row [${row.index}].sequence: externalId ${JSON.stringify(row.externalId)} is transaction ${byId.id}, but sequence ${row.sequence} is transaction ${bySeq.id}`,
    };
  }
  if (sameRow(row, entry)) return { kind: 'duplicate', duplicate: duplicateOf(row, entry.id) };
  const what = byId ? `.externalId: externalId ${JSON.stringify(row.externalId)}` : `.sequence: sequence ${row.sequence}`;
  return { kind: 'conflict', message: `Row [${row.index}]${what} is already transaction ${entry.id}, with other content` };
}

/**
 * Rows of one request that repeat an earlier row's externalId or sequence:
 * the later one is refused, with a message naming the earlier. Answers the
 * message for each refused row index.
 */
export function repeatsWithinRequest(rows: readonly StoredTransaction[]): Map<number, string> {
  const externalIds = new Map<string, number>();
  const sequences = new Map<number, number>();
  const refused = new Map<number, string>();
  for (const row of rows) {
    const earlierId = row.externalId !== undefined ? externalIds.get(row.externalId) : undefined;
    const earlierSeq = row.sequence !== undefined ? sequences.get(row.sequence) : undefined;
    if (earlierId !== undefined) {
      refused.set(row.index, `Row [${row.index}].externalId: the same externalId as row [${earlierId}] of this request`);
      continue;
    }
    if (earlierSeq !== undefined) {
      refused.set(row.index, `Row [${row.index}].sequence: the same sequence as row [${earlierSeq}] of this request`);
      continue;
    }
    if (row.externalId !== undefined) externalIds.set(row.externalId, row.index);
    if (row.sequence !== undefined) sequences.set(row.sequence, row.index);
  }
  return refused;
}

/** A range of sequences not yet received, with the time it was first seen missing. */
export interface SyncGap {
  from: number;
  to: number;
  since: Date;
}

/** How the stream moves on: the new highest sequence, the gaps to drop (by `from`) and the gaps to add. */
export interface StreamAdvance {
  highestSequence: number;
  removed: number[];
  added: SyncGap[];
}

/**
 * The stream after `applied` (new sequences, ascending, none applied before)
 * arrived, given the highest sequence seen so far and the gaps that overlap
 * [first, last] of `applied`. Sequences above the old highest open a gap
 * first seen now for the numbers skipped; each applied sequence is cut out of
 * the gap it falls in, and the pieces keep that gap's `since`. Answers which
 * gaps to drop (by `from`) and which to add; untouched gaps stay as they are.
 */
export function advanceStream(highestSequence: number, overlapping: readonly SyncGap[], applied: readonly number[], now: Date): StreamAdvance {
  const last = applied.at(-1);
  if (last === undefined) return { highestSequence, removed: [], added: [] };
  const ranges: (SyncGap & { old: boolean })[] = overlapping.map((gap) => ({ ...gap, old: true }));
  if (last > highestSequence) ranges.push({ from: highestSequence + 1, to: last, since: now, old: false });

  const removed: number[] = [];
  const added: SyncGap[] = [];
  let i = 0;
  for (const range of [...ranges].sort((a, b) => a.from - b.from)) {
    while (i < applied.length && applied[i]! < range.from) i++;
    let start = range.from;
    let cut = false;
    for (; i < applied.length && applied[i]! <= range.to; i++) {
      const p = applied[i]!;
      if (p > start) added.push({ from: start, to: p - 1, since: range.since });
      start = p + 1;
      cut = true;
    }
    if (!cut) {
      if (!range.old) added.push({ from: range.from, to: range.to, since: range.since });
      continue;
    }
    if (start <= range.to) added.push({ from: start, to: range.to, since: range.since });
    if (range.old) removed.push(range.from);
  }
  return { highestSequence: Math.max(highestSequence, last), removed, added };
}

/** Gap ages against the alert threshold. */
export function gapAlerting(since: Date, now: Date, alertSeconds: number): boolean {
  return now.getTime() - since.getTime() >= alertSeconds * 1000;
}
