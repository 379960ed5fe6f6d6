import type { TenantUpdate } from '../contracts/admin.ts';
import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { type TenantMode, type TenantRecord, tenantNameKey } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { nameTaken, uniquely } from './guards.ts';
import { answerBeforeCommit } from './answer-check.ts';
import type { QueueEvents } from './subscriptions.service.ts';

/**
 * How each account's points follow a mode switch: into the ledger as one
 * OpeningBalance entry, or from the ledger as the new balance. Answers how
 * many accounts it carried over.
 */
const carryOver: Record<TenantMode, (tx: Database, tenantId: string, now: Date) => Promise<number>> = {
  'all-transaction': (tx, tenantId, now) => tx.ledger.carryBalancesIn(tenantId, now),
  'balance-only': (tx, tenantId, now) => tx.pointAccounts.snapshotLedgerBalances(tenantId, now),
};

/**
 * Changing a tenant's name, mode, point system switch, contact rule, default
 * definition and expiry owner; shared by the admin API and the CLI. A mode
 * switch or a new expiry owner changes the rule under every figure, so the
 * accounts whose served figures moved (a balance-only account has no
 * balanceExpires, for one) get a point.balance.updated event, written with the change.
 */
export function tenantSettingsService(deps: { db: Database; clock: Clock; log: Logger; queueEvents: QueueEvents }) {
  const { db, clock, log, queueEvents } = deps;
  return {
    /**
     * One transaction that holds the tenant row from the start, so no batch
     * can be stored meanwhile; a mode switch is refused while a batch is
     * unfinished, because it was accepted under the old mode's rules.
     */
    async update(tenantId: string, update: TenantUpdate): Promise<TenantRecord> {
      const now = clock.now();
      const { tenant, accountsCarriedOver, subscribers } = await db.transaction(async (tx) => {
        const current = await tx.tenants.lockSettings(tenantId);
        if (!current) throw notFound(`Tenant ${tenantId}`);
        const defaultDefinition = update.defaultDefinitionId;
        if (typeof defaultDefinition === 'number' && (await tx.definitions.known(tenantId, [defaultDefinition])).size === 0) {
          const message = `point definition ${defaultDefinition} does not exist for this tenant`;
          throw new AppError('validation', `Unknown defaultDefinitionId: ${message}`, [{ path: 'defaultDefinitionId', message }]);
        }
        const nameKey = update.name === undefined ? undefined : tenantNameKey(update.name);
        if (update.name !== undefined && nameKey !== undefined) {
          const taken = await tx.tenants.nameTakenBy(nameKey, tenantId);
          if (taken !== null) throw nameTaken(update.name, taken);
        }
        let carried = 0;
        if (update.mode !== undefined && update.mode !== current.mode) {
          const unfinished = await tx.batches.countUnfinished(tenantId);
          if (unfinished > 0) {
            throw new AppError(
              'conflict',
              `${unfinished} batch(es) of this tenant are still being applied under the current mode; switch once they are finished`,
            );
          }
          carried = await carryOver[update.mode](tx, tenantId, now);
        }
        // Who expires points changes every figure from the first lot that expired: each account is replayed under the new owner.
        if (update.expiry !== undefined && update.expiry !== current.expiry) {
          await tx.tenants.updateSettings(tenantId, { expiry: update.expiry }, now);
          await tx.ledger.rebuild(tenantId, null, now);
        }
        const updated = await uniquely(
          () => tx.tenants.updateSettings(tenantId, nameKey === undefined ? update : { ...update, nameKey }, now),
          `A tenant named ${update.name} already exists`,
        );
        const ruleChanged = (update.mode !== undefined && update.mode !== current.mode) || (update.expiry !== undefined && update.expiry !== current.expiry);
        const subscribers = ruleChanged ? await tx.balanceEvents.record(tenantId, { allAccounts: true }, now) : [];
        return { tenant: await answerBeforeCommit(tx, updated), accountsCarriedOver: carried, subscribers };
      });
      await queueEvents(subscribers.map((subscriptionId) => ({ tenantId, subscriptionId })));
      log.info({ tenantId, update, accountsCarriedOver }, 'tenant settings updated');
      return tenant;
    },
  };
}

export type TenantSettingsService = ReturnType<typeof tenantSettingsService>;
