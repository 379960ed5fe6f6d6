import type { Runtime } from '../runtime.ts';
import { runPeriodically } from './periodic.ts';

/**
 * One pass: records an Expiry entry for every ledger entry whose points lapsed
 * (so history explains the drop), covers the never-expiring entries that have
 * turned active in their account's checkpoint (both keep account reads to the
 * entries that can still change; db/ledger.repository.ts), records the member
 * level changes time made (windows moving on), then forgets Idempotency-Keys
 * past their 24 h.
 * Idempotent, so several workers may run it side by side.
 */
export async function runLedgerMaintenance(
  runtime: Runtime,
): Promise<{ expiryEntries: number; settledEntries: number; levelChanges: number; expiredKeys: number }> {
  const { db } = runtime;
  const now = runtime.clock.now();
  let expiryEntries = 0;
  let settledEntries = 0;
  // Tenant by tenant, so each pass stays on one tenant's slice of the ledger's indexes.
  for (const tenantId of await db.tenants.ids()) {
    expiryEntries += await db.ledger.recordExpiries(tenantId, now);
    settledEntries += await db.ledger.settleNeverExpiring(tenantId, now);
  }
  const levelChanges = await runtime.services.levels.recordTimeMoves();
  const expiredKeys = await db.idempotency.deleteExpired(now);
  return { expiryEntries, settledEntries, levelChanges, expiredKeys };
}

/** Runs the maintenance at start and then every LEDGER_MAINTENANCE_INTERVAL_MS. */
export function startLedgerMaintenance(runtime: Runtime): { stop(): Promise<void> } {
  return runPeriodically('ledger maintenance', runtime.config.queue.ledgerMaintenanceIntervalMs, runtime.log, async () => {
    const done = await runLedgerMaintenance(runtime);
    if (done.expiryEntries > 0 || done.settledEntries > 0 || done.levelChanges > 0 || done.expiredKeys > 0) runtime.log.info(done, 'ledger maintenance');
  });
}
