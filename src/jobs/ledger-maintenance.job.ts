import type { Config } from '../config.ts';
import { SWEEP_CHUNK } from '../db/ledger.repository.ts';
import type { Logger } from '../logger.ts';
import type { LevelsService } from '../services/levels.service.ts';
import type { AnnouncingDeps } from './job-deps.ts';
import { runPeriodically } from '../periodic.ts';

/** Besides the ledger and the balance events, the maintenance records the level changes time made and deletes batches past their retention. */
interface LedgerMaintenanceDeps extends AnnouncingDeps {
  config: Pick<Config, 'queue'>;
  services: AnnouncingDeps['services'] & { levels: Pick<LevelsService, 'recordTimeMoves'> };
}

/**
 * One pass: folds on every account whose figures changed by themselves (lots
 * turning active or expiring, deductions coming due), which writes the Expiry
 * entries of what was left of expired lots (so history explains the drop) and
 * keeps account reads to what is still open (db/ledger.repository.ts) and
 * writes the balance events of what changed for tenants with subscribers, records
 * the member level changes time made (windows moving on), then forgets
 * Idempotency-Keys past their 24 h and batches past their retention.
 * Idempotent, so several workers may run it side by side.
 */
export async function runLedgerMaintenance(
  runtime: LedgerMaintenanceDeps,
): Promise<{ foldedAccounts: number; levelChanges: number; expiredKeys: number; deletedBatches: number }> {
  const { db } = runtime;
  const now = runtime.clock.now();
  let foldedAccounts = 0;
  // Tenant by tenant, so each pass stays on one tenant's slice of the ledger's indexes.
  for (const tenantId of await db.tenants.ids()) {
    foldedAccounts += (await db.subscriptions.anyFor(tenantId)) ? await sweepAnnouncing(runtime, tenantId, now) : await db.ledger.sweep(tenantId, now);
  }
  const levelChanges = await runtime.services.levels.recordTimeMoves();
  const expiredKeys = await db.idempotency.deleteExpired(now);
  const deletedBatches = await db.batches.deleteFinishedBefore(new Date(now.getTime() - runtime.config.queue.batchRetentionMs));
  return { foldedAccounts, levelChanges, expiredKeys, deletedBatches };
}

/**
 * The sweep of a tenant with subscribers: each chunk's fold and the balance
 * events of what it changed (changedAt: when the lot turned active or
 * expired) in one transaction, queued for delivery once it has committed.
 */
async function sweepAnnouncing(runtime: AnnouncingDeps, tenantId: string, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const { folded, subscribers } = await runtime.db.transaction(async (tx) => {
      const due = await tx.ledger.sweepChunk(tenantId, now);
      const ids = due.map((account) => account.id);
      return { folded: due.length, subscribers: await tx.balanceEvents.record(tenantId, { ids, dueFrom: due.map((account) => account.dueAt) }, now) };
    });
    await runtime.services.subscriptions.announce(tenantId, subscribers);
    total += folded;
    if (folded < SWEEP_CHUNK) return total;
  }
}

/** Runs the maintenance at start and then every LEDGER_MAINTENANCE_INTERVAL_MS. */
export function startLedgerMaintenance(runtime: LedgerMaintenanceDeps & { log: Logger }): { stop(): Promise<void> } {
  return runPeriodically('ledger maintenance', runtime.config.queue.ledgerMaintenanceIntervalMs, runtime.log, async () => {
    const done = await runLedgerMaintenance(runtime);
    if (Object.values(done).some((count) => count > 0)) runtime.log.info(done, 'ledger maintenance');
  });
}
