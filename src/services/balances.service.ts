import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { BalanceItem } from '../domain/balances.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';
import type { AdmitToBacklog } from './backlog.ts';
import { ensurePointSystemActive, tenantChangedMeanwhile } from './guards.ts';
import type { QueueBatch } from './queueing.ts';
import { commitWithAnswer } from './answer-check.ts';

/** Balance batches (balance-only mode) as the master sends them, and the status of any batch. */
export function balancesService(deps: { db: Database; clock: Clock; queueBatch: QueueBatch; admitToBacklog: AdmitToBacklog }) {
  const { db, clock, queueBatch, admitToBacklog } = deps;
  return {
    /** Stores the batch in Postgres (durable from then on), then queues it; answers its id. */
    async accept(tenant: TenantRecord, items: BalanceItem[]): Promise<string> {
      ensurePointSystemActive(tenant);
      if (tenant.mode !== 'balance-only') {
        throw new AppError('wrong_mode', `Tenant ${tenant.name} is in ${tenant.mode} mode; balances are accepted only in balance-only mode`);
      }
      await admitToBacklog(tenant, 'balances', items.length);
      const id = randomUUID();
      await commitWithAnswer(db, async (tx) => {
        if (!(await tx.batches.insert({ id, tenantId: tenant.id, kind: 'balances', itemCount: items.length, payload: items, now: clock.now() }))) {
          throw tenantChangedMeanwhile();
        }
        return id;
      });
      await queueBatch('balances', { tenantId: tenant.id, id });
      return id;
    },

    async status(tenant: TenantRecord, id: string) {
      const batch = await db.batches.findStatus(tenant.id, id);
      if (!batch) throw notFound(`Batch ${id}`);
      return batch;
    },
  };
}

export type BalancesService = ReturnType<typeof balancesService>;
