import type { Metrics } from './metrics.ts';
import type { SyncService } from '../services/sync.service.ts';

/**
 * Stream gaps over every tenant, read from Postgres at scrape time. No tenant
 * ids in labels (the series would grow with the tenants); an operator finds
 * the tenant on /ui/admin or with `sync:status`.
 */
export function registerSyncMetrics(metrics: Metrics, sync: Pick<SyncService, 'totals'>) {
  metrics.gauge('pf_sync_missing_sequences', 'Sequences missing below the highest applied, summed over tenants', [], async (gauge) => {
    gauge.set((await sync.totals()).missing);
  });
  metrics.gauge('pf_sync_oldest_gap_age_seconds', 'Age of the oldest gap of any tenant (0 when none)', [], async (gauge) => {
    gauge.set((await sync.totals()).oldestGapAgeSeconds);
  });
  metrics.gauge('pf_sync_alerting_gaps', 'Gaps older than SYNC_GAP_ALERT_SECONDS, over every tenant', [], async (gauge) => {
    gauge.set((await sync.totals()).alertingGaps);
  });
}
