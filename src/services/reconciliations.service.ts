import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { RECONCILIATION_LINE_FIELDS } from '../contracts/reconciliations.ts';
import {
  type DriftKind,
  inItemOrder,
  latestLinePerAccount,
  type ReconciliationLine,
  repairLines,
  type ReconciliationRecord,
  type ReconciliationScope,
  unknownDefinitionErrors,
} from '../domain/reconciliations.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { invalidFieldsDetail } from '../domain/messages.ts';
import { AppError, type FieldError, notFound } from '../errors.ts';
import { ensurePointSystemActive, requireTenant } from './guards.ts';
import type { QueueReconciliation } from './queueing.ts';
import { answerBeforeCommit, commitWithAnswer } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

/** Drifted accounts listed per call of a repair, as a master lists them (at most 1000 a call). */
const REPAIR_PAGE = 1000;

const invalidLines = (errors: FieldError[]) => new AppError('validation', invalidFieldsDetail(errors.length, 'body'), errors);

/**
 * Reconciliations (DESIGN 2.6): the master opens one as of a time, lists its
 * balances, completes it; the worker compares and, if asked, repairs.
 * Operators read the same through the tenant id.
 */
export function reconciliationsService(deps: { db: Database; clock: Clock; queueReconciliation: QueueReconciliation }) {
  const { db, clock, queueReconciliation } = deps;

  async function find(tenantId: string, id: string) {
    const found = await db.reconciliations.find(tenantId, id);
    if (!found) throw notFound(`Reconciliation ${id}`);
    return found;
  }

  async function drifts(tenantId: string, id: string, filter: { kind?: DriftKind | undefined }, page: PageRequest) {
    await find(tenantId, id);
    return db.reconciliations.drifts(tenantId, id, filter, page);
  }

  const service = {
    async open(tenant: TenantRecord, input: { asOf: string; scope: ReconciliationScope; repair: boolean }) {
      ensurePointSystemActive(tenant);
      const now = clock.now();
      if (new Date(input.asOf) > now) {
        throw new AppError('validation', 'asOf is in the future', [
          { path: 'asOf', message: `must not be after the time of the request (${now.toISOString()})` },
        ]);
      }
      return commitWithAnswer(db, (tx) => tx.reconciliations.create({ id: randomUUID(), tenantId: tenant.id, ...input }, now));
    },

    /**
     * Stores one call's lines, only while the reconciliation is Open (its row
     * held FOR SHARE, so a complete either waits for these lines or comes
     * first and this call stores nothing). Every item must name a definition
     * of the tenant; otherwise 400 listing each, and nothing is stored.
     */
    async listAccounts(tenant: TenantRecord, id: string, items: ReconciliationLine[]): Promise<{ id: string; accepted: number }> {
      return db.transaction(async (tx) => {
        const status = await tx.reconciliations.lockShared(tenant.id, id);
        if (!status) throw notFound(`Reconciliation ${id}`);
        if (status !== 'Open') throw new AppError('conflict', `Reconciliation ${id} is ${status}; accounts can be listed only while it is Open`);
        const known = await tx.definitions.known(tenant.id, [...new Set(items.map((item) => item.definitionId))]);
        const errors = unknownDefinitionErrors(
          items.map((item, index) => ({ index, definitionId: item.definitionId })),
          known,
        );
        if (errors.length > 0) throw invalidLines(errors);
        const lines = latestLinePerAccount(items);
        await tx.reconciliations.putLines(tenant.id, id, lines);
        return answerBeforeCommit(tx, { id, accepted: lines.length });
      });
    },

    /**
     * The refusal of a call whose body failed its schema: the schema's errors
     * and, in the same answer, every well-formed definition id the tenant
     * does not have, item by item.
     */
    async refuseLines(tenant: TenantRecord, named: { index: number; definitionId: number }[], formErrors: FieldError[]): Promise<never> {
      const known = await db.definitions.known(tenant.id, [...new Set(named.map((line) => line.definitionId))]);
      throw invalidLines(inItemOrder([...formErrors, ...unknownDefinitionErrors(named, known)], RECONCILIATION_LINE_FIELDS));
    },

    /**
     * Open -> Comparing, and the compare queued. Completing again answers the
     * reconciliation as it stands and starts nothing new (a Comparing one is
     * queued again, which is a no-op while its job exists).
     */
    async complete(tenant: TenantRecord, id: string) {
      const current = await commitWithAnswer(
        db,
        async (tx) => (await tx.reconciliations.markComparing(tenant.id, id, clock.now())) ?? (await find(tenant.id, id)),
      );
      if (current.status === 'Comparing') await queueReconciliation({ tenantId: tenant.id, reconciliationId: id });
      return current;
    },

    get: (tenantId: string, id: string) => find(tenantId, id),
    list: (tenantId: string, page: PageRequest) => db.reconciliations.list(tenantId, page),
    drifts,

    /** Operators: the same reads, for a tenant they name (404 when it does not exist). */
    async listForTenant(tenantId: string, page: PageRequest) {
      await requireTenant(db.tenants, tenantId);
      return db.reconciliations.list(tenantId, page);
    },
    async showForTenant(tenantId: string, id: string, filter: { kind?: DriftKind | undefined }, page: PageRequest) {
      await requireTenant(db.tenants, tenantId);
      return { reconciliation: await find(tenantId, id), drifts: await drifts(tenantId, id, filter, page) };
    },

    /** Each tenant's latest completed reconciliation, by tenant id: what the overview asks a person about. */
    async latestCompletedByTenant(): Promise<Map<string, ReconciliationRecord>> {
      return new Map((await db.reconciliations.latestCompletedPerTenant()).map((r) => [r.tenantId, r]));
    },

    /**
     * Operators: a repair reconciliation of the accounts another one found
     * drifted, through the same steps a master takes with the API (open as of
     * the same asOf with repair, list each drifted account at the master's
     * figure, complete), so the worker compares again and repairs what still
     * differs. Answers the new reconciliation.
     */
    async repairDrifted(tenant: TenantRecord, id: string) {
      const source = await find(tenant.id, id);
      if (source.status !== 'Completed') throw new AppError('conflict', `Reconciliation ${id} is ${source.status}; only a completed one can be repaired`);
      if (source.drifted === 0) throw new AppError('conflict', `Reconciliation ${id} found no drifted accounts; there is nothing to repair`);
      const repair = await service.open(tenant, { asOf: source.asOf.toISOString(), scope: 'Listed', repair: true });
      for (let offset = 0; offset < source.drifted; offset += REPAIR_PAGE) {
        const page = await db.reconciliations.drifts(tenant.id, id, {}, { offset, count: REPAIR_PAGE });
        if (page.items.length === 0) break;
        await service.listAccounts(tenant, repair.id, repairLines(page.items));
      }
      return service.complete(tenant, repair.id);
    },

    /** The newest reconciliations of all tenants, each with its tenant's name, for the operators' overview. */
    async latest(limit: number) {
      const [items, tenants] = await Promise.all([db.reconciliations.latest(limit), db.tenants.list()]);
      const names = new Map(tenants.map((t) => [t.id, t.name]));
      return items.map((item) => ({ ...item, tenantName: names.get(item.tenantId) ?? item.tenantId }));
    },
  };
  return service;
}

export type ReconciliationsService = ReturnType<typeof reconciliationsService>;
