import type { DuplicateRow, StoredTransaction } from '../domain/transactions.ts';
import type { ApplyResult } from '../domain/batches.ts';
import type { QueuedDelivery } from '../domain/deliveries.ts';
import { accountKeys } from '../domain/ledger.ts';
import { advanceStream, indexEntries, judgeIdentity } from '../domain/sync.ts';
import type { Database } from '../db/database.ts';
import type { LevelsService } from '../services/levels.service.ts';
import { holdRepairs } from '../services/repair-offsets.ts';
import { applyBatch } from './apply-batch.ts';
import type { AnnouncingDeps } from './job-deps.ts';

/** Besides the balance events, a transactions batch records and announces the member level changes of its contacts. */
export interface PointTransactionsDeps extends AnnouncingDeps {
  services: AnnouncingDeps['services'] & { levels: Pick<LevelsService, 'recordInBatch' | 'announce'> };
}

/**
 * PointTransactionsJob: appends the accepted rows of one stored batch to the
 * ledger, creating the accounts they need, moves the tenant's stream
 * position on by the sequences it added, offsets the repairs its rows
 * filled (services/repair-offsets.ts), and records the member level
 * changes of the contacts it touched and the balance events of its
 * accounts, in the batch's one transaction (their webhooks are queued once
 * it has committed). A row the ledger's unique keys
 * turned away arrived meanwhile in another batch: reported as a duplicate
 * when it is the same row, skipped as a conflict when it is not.
 */
export async function pointTransactionsJob({ db, clock, services }: PointTransactionsDeps, tenantId: string, batchId: string): Promise<ApplyResult> {
  const now = clock.now();
  let announce: QueuedDelivery[] = [];
  let subscribers: string[] = [];
  const result = await applyBatch<StoredTransaction>(db, tenantId, batchId, now, async (tx, { items }) => {
    await tx.pointAccounts.ensure(tenantId, accountKeys(items), now);
    const applied = await tx.ledger.append(tenantId, batchId, items, now);
    await holdRepairs(tx, tenantId, applied.added, null, now);
    await moveStreamOn(tx, tenantId, applied.sequences, now);
    subscribers = await tx.balanceEvents.record(tenantId, { keys: accountKeys(items) }, now);
    announce = await services.levels.recordInBatch(tx, tenantId, [...new Set(items.map((item) => item.contactId))], now);

    const turnedAway = items.filter((item) => !applied.indexes.has(item.index));
    const skipped: { message: string }[] = [];
    const duplicates: DuplicateRow[] = [];
    if (turnedAway.length > 0) {
      const ledger = indexEntries(
        await tx.ledger.findIdentified(
          tenantId,
          turnedAway.flatMap((item) => (item.externalId !== undefined ? [item.externalId] : [])),
          turnedAway.flatMap((item) => (item.sequence !== undefined ? [item.sequence] : [])),
        ),
      );
      for (const item of turnedAway) {
        const verdict = judgeIdentity(item, ledger);
        if (verdict.kind === 'duplicate') duplicates.push(verdict.duplicate);
        else if (verdict.kind === 'conflict') skipped.push({ message: verdict.message });
        // Only reachable if the batch row was reset by hand after it was applied.
        else skipped.push({ message: `Row [${item.index}] skipped: already in the ledger` });
      }
    }
    return { appliedCount: applied.indexes.size, skipped, duplicates };
  });
  await services.levels.announce(announce);
  await services.subscriptions.announce(tenantId, subscribers);
  return result;
}

/**
 * Records that the sequences `applied` (ascending, each new to the ledger)
 * arrived: the tenant's position is locked, so applies of one tenant take
 * turns on these few statements (the ledger insert before them runs side by
 * side), and the gaps they touch are cut and written back.
 */
async function moveStreamOn(tx: Database, tenantId: string, applied: readonly number[], now: Date): Promise<void> {
  const first = applied[0];
  const last = applied.at(-1);
  if (first === undefined || last === undefined) return;
  const highest = await tx.sync.lockPosition(tenantId);
  const overlapping = await tx.sync.gapsOverlapping(tenantId, first, last);
  await tx.sync.moveOn(tenantId, advanceStream(highest, overlapping, applied, now), now);
}
