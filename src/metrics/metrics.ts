import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ApplyResult } from '../domain/batches.ts';
import type { CompareResult } from '../domain/reconciliations.ts';

/**
 * Prometheus metrics of one process. A registry per process (not the library's
 * global one) so tests can build several apps side by side.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pf_' });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'pf_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    }),
    itemsApplied: new Counter({ name: 'pf_items_applied_total', help: 'Batch items applied by the worker', labelNames: ['kind'], registers }),
    itemsSkipped: new Counter({
      name: 'pf_items_skipped_total',
      help: 'Batch items skipped (stale, unknown definition, superseded)',
      labelNames: ['kind'],
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'pf_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (Delivered, Retrying, Failed)',
      labelNames: ['outcome'],
      registers,
    }),
    balanceEventAttempts: new Counter({
      name: 'pf_balance_event_attempts_total',
      help: 'point.balance.updated events sent to subscribers, by outcome (Delivered, Retrying, Failed)',
      labelNames: ['outcome'],
      registers,
    }),
    pushesRefusedForBacklog: new Counter({
      name: 'pf_pushes_refused_backlog_total',
      help: 'Balance and transaction pushes refused (429) because too many items were waiting to be applied',
      labelNames: ['kind'],
      registers,
    }),
    signInCeilings: new Counter({
      name: 'pf_ui_signin_ceiling_reached_total',
      help: "Times a tenant's failed contact card sign-ins from all addresses reached the ceiling (an alert: someone is guessing)",
      labelNames: ['tenant'],
      registers,
    }),
    batchesFinished: new Counter({ name: 'pf_batches_finished_total', help: 'Batches by final status', labelNames: ['kind', 'status'], registers }),
    reconciliations: new Counter({
      name: 'pf_reconciliations_total',
      help: 'Reconciliations compared, by outcome (Completed, Failed)',
      labelNames: ['outcome'],
      registers,
    }),
    ledgerSplits: new Counter({
      name: 'pf_ledger_audit_splits_total',
      help: 'Accounts whose checkpoint the self-audit found split from their ledger',
      registers,
    }),
    driftedAccounts: new Counter({
      name: 'pf_reconciliation_drifted_accounts_total',
      help: 'Drifted accounts reconciliations found, by kind',
      labelNames: ['kind'],
      registers,
    }),
    /** Counts the outcome of one compare. */
    recordReconciliation(result: CompareResult) {
      if (result === 'already-final') return;
      this.reconciliations.inc({ outcome: 'Completed' });
      for (const [kind, count] of Object.entries(result.drifted)) this.driftedAccounts.inc({ kind }, count);
    },
    /** Counts the outcome of one applied batch. */
    recordBatch(kind: 'balances' | 'transactions', result: ApplyResult) {
      if (result === 'already-final') return;
      this.itemsApplied.inc({ kind }, result.appliedCount);
      this.itemsSkipped.inc({ kind }, result.skippedCount);
      this.batchesFinished.inc({ kind, status: result.status });
    },
    /** Registers a gauge whose value is read at scrape time. */
    gauge(name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => Promise<void>) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          await collect(this);
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
