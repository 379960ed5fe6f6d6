import { idempotencyRepository } from '../db/idempotency.repository.ts';
import { ledgerRepository } from '../db/ledger.repository.ts';
import type { Deps } from '../deps.ts';
import { runPeriodically } from './periodic.ts';

/**
 * One pass: records an Expiry entry for every ledger entry whose points lapsed
 * (so history explains the drop), then forgets Idempotency-Keys past their
 * 24 h. Idempotent, so several workers may run it side by side.
 */
export async function runLedgerMaintenance(deps: Deps): Promise<{ expiryEntries: number; expiredKeys: number }> {
  const ledger = ledgerRepository(deps.pool);
  const now = deps.clock.now();
  let expiryEntries = 0;
  // Tenant by tenant, so each pass stays on one tenant's slice of the ledger's indexes.
  for (const tenantId of await ledger.tenantIds()) expiryEntries += await ledger.recordExpiries(tenantId, now);
  const expiredKeys = await idempotencyRepository(deps.pool).deleteExpired(now);
  return { expiryEntries, expiredKeys };
}

/** Runs the maintenance at start and then every LEDGER_MAINTENANCE_INTERVAL_MS. */
export function startLedgerMaintenance(deps: Deps): { stop(): Promise<void> } {
  return runPeriodically('ledger maintenance', deps.config.queue.ledgerMaintenanceIntervalMs, deps.log, async () => {
    const done = await runLedgerMaintenance(deps);
    if (done.expiryEntries > 0 || done.expiredKeys > 0) deps.log.info(done, 'ledger maintenance');
  });
}
