import type { Runtime } from '../runtime.ts';
import { runPeriodically } from './periodic.ts';

/**
 * One pass: folds on every account whose figures changed by themselves (lots
 * turning active or expiring, deductions coming due), which writes the Expiry
 * entries of what was left of expired lots (so history explains the drop) and
 * keeps account reads to what is still open (db/ledger.repository.ts), records
 * the member level changes time made (windows moving on), then forgets
 * Idempotency-Keys past their 24 h.
 * Idempotent, so several workers may run it side by side.
 */
export async function runLedgerMaintenance(runtime: Runtime): Promise<{ foldedAccounts: number; levelChanges: number; expiredKeys: number }> {
  const { db } = runtime;
  const now = runtime.clock.now();
  let foldedAccounts = 0;
  // Tenant by tenant, so each pass stays on one tenant's slice of the ledger's indexes.
  for (const tenantId of await db.tenants.ids()) foldedAccounts += await db.ledger.sweep(tenantId, now);
  const levelChanges = await runtime.services.levels.recordTimeMoves();
  const expiredKeys = await db.idempotency.deleteExpired(now);
  return { foldedAccounts, levelChanges, expiredKeys };
}

/** Runs the maintenance at start and then every LEDGER_MAINTENANCE_INTERVAL_MS. */
export function startLedgerMaintenance(runtime: Runtime): { stop(): Promise<void> } {
  return runPeriodically('ledger maintenance', runtime.config.queue.ledgerMaintenanceIntervalMs, runtime.log, async () => {
    const done = await runLedgerMaintenance(runtime);
    if (done.foldedAccounts > 0 || done.levelChanges > 0 || done.expiredKeys > 0) runtime.log.info(done, 'ledger maintenance');
  });
}
