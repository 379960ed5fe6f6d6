import type { LadderInput } from '../contracts/levels.ts';
import type { Database } from '../db/database.ts';
import type { LevelChangeRecord } from '../db/levels.repository.ts';
import { retryOnConflict } from '../db/pool.ts';
import type { Clock } from '../domain/clock.ts';
import type { QueuedDelivery } from '../domain/deliveries.ts';
import { type Ladder, type Level, type LevelChangeReason, levelFor, levelIndex, windowAt } from '../domain/levels.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { requireTenant } from './guards.ts';
import type { QueueDeliveries } from './queueing.ts';

function ensureAllTransaction(tenant: { mode: TenantRecord['mode']; name?: string }): void {
  if (tenant.mode !== 'all-transaction') {
    throw new AppError('levels_need_all_transaction', 'Member levels are derived from the ledger, which only all-transaction mode keeps');
  }
}

const noLadder = () => new AppError('not_configured', 'This tenant has no member level ladder: PUT /admin/v1/tenants/{id}/levels first');

/** Which contacts to look at: some (those a batch touched), or every contact with an account or a recorded level. */
type Contacts = readonly string[] | null;

/**
 * Member levels: the ladder an operator sets, the level of a contact as
 * read (derived from the ledger at the time of the request), and the changes
 * the worker records and announces.
 */
export function levelsService(deps: { db: Database; clock: Clock; log: Logger; queueDeliveries: QueueDeliveries }) {
  const { db, clock, log, queueDeliveries } = deps;

  /**
   * Records the level changes of `contacts` as of `at`. A first pass outside
   * any lock finds the contacts whose level differs from the recorded one;
   * then, in one transaction holding the ladder and those contacts' rows, their
   * figures are read again and each change is written with its history row
   * (and its webhook when the ladder announces changes). Two recorders on the
   * same contacts queue on the row locks, and the second finds nothing to do.
   */
  async function record(
    tx: Database,
    tenant: { id: string; timeZone: string },
    ladder: Ladder,
    contacts: Contacts,
    reason: LevelChangeReason,
    at: Date,
    implicitBase: Level,
  ): Promise<{ changes: LevelChangeRecord[]; deliveries: QueuedDelivery[] }> {
    const span = windowAt(ladder.window, at, tenant.timeZone);
    const [figures, recorded] = await Promise.all([tx.levels.qualifying(tenant.id, ladder, span, at, contacts), tx.levels.recorded(tenant.id, contacts)]);
    const candidates = [...new Set([...figures.keys(), ...recorded.keys()])].filter((contactId) => {
      const wanted = ladder.levels[levelIndex(ladder.levels, figures.get(contactId) ?? 0)]!;
      return wanted.key !== (recorded.get(contactId)?.key ?? implicitBase.key);
    });
    if (candidates.length === 0) return { changes: [], deliveries: [] };
    candidates.sort();
    return tx.transaction(async (inner) => {
      // The ladder as it stands now, held until commit: an operator's PUT cannot slip in between.
      const current = (await inner.levels.ladder(tenant.id, { lock: true })) ?? ladder;
      const currentSpan = windowAt(current.window, at, tenant.timeZone);
      await inner.levels.lockContacts(tenant.id, candidates, implicitBase);
      const fresh = await inner.levels.qualifying(tenant.id, current, currentSpan, at, candidates);
      const moves = candidates.map((contactId) => {
        const qualifying = fresh.get(contactId) ?? 0;
        return { contactId, qualifying, to: current.levels[levelIndex(current.levels, qualifying)]! };
      });
      const changes = await inner.levels.recordChanges(tenant.id, moves, reason, at);
      if (!current.announce || changes.length === 0) return { changes, deliveries: [] };
      const state = (await inner.integrations.hasWebhook(tenant.id)) ? 'Pending' : 'AwaitingConfiguration';
      const deliveries = await inner.deliveries.insertForLevelChanges(
        tenant.id,
        changes.map((change) => change.id),
        state,
        at,
      );
      return { changes, deliveries: state === 'Pending' ? deliveries : [] };
    });
  }

  /** Runs `record` in a transaction of its own and queues the webhooks it wrote once that has committed. */
  async function recordAndAnnounce(
    tenant: { id: string; timeZone: string },
    ladder: Ladder,
    contacts: Contacts,
    reason: LevelChangeReason,
  ): Promise<LevelChangeRecord[]> {
    const { changes, deliveries } = await retryOnConflict(() => record(db, tenant, ladder, contacts, reason, clock.now(), ladder.levels[0]!));
    if (deliveries.length > 0) await queueDeliveries(deliveries);
    if (changes.length > 0) log.info({ tenantId: tenant.id, reason, changes: changes.length }, 'member level changes recorded');
    return changes;
  }

  const answerLadder = (ladder: Ladder, timeZone: string) => ({ ...ladder, timeZone });

  return {
    async getLadder(tenantId: string) {
      const tenant = await requireTenant(db.tenants, tenantId);
      ensureAllTransaction(tenant);
      const ladder = await db.levels.ladder(tenantId);
      if (!ladder) throw noLadder();
      return answerLadder(ladder, tenant.timeZone);
    },

    /**
     * Stores the ladder and, in the same transaction, re-evaluates every
     * contact under it: the history records each contact it moves with the
     * reason LadderChanged. Holds the tenant row, so a mode switch waits.
     */
    async setLadder(tenantId: string, input: LadderInput) {
      const now = clock.now();
      const { tenant, changes, deliveries } = await db.transaction(async (tx) => {
        if (!(await tx.tenants.lockSettings(tenantId))) throw notFound(`Tenant ${tenantId}`);
        const tenant = (await tx.tenants.find(tenantId))!;
        ensureAllTransaction(tenant);
        if ((await tx.definitions.known(tenantId, [input.definitionId])).size === 0) {
          const message = `point definition ${input.definitionId} does not exist for this tenant`;
          throw new AppError('validation', `Unknown definitionId: ${message}`, [{ path: 'definitionId', message }]);
        }
        const previous = await tx.levels.ladder(tenantId);
        const ladder: Ladder = { definitionId: input.definitionId, basis: input.basis, window: input.window, levels: input.levels, announce: input.announce };
        await tx.levels.saveLadder(tenantId, ladder, now);
        // Contacts never recorded sat on the old ladder's first level; with no old ladder, on the new one's.
        const implicitBase = (previous ?? ladder).levels[0]!;
        return { tenant, ...(await record(tx, tenant, ladder, null, 'LadderChanged', now, implicitBase)) };
      });
      if (deliveries.length > 0) await queueDeliveries(deliveries);
      log.info({ tenantId, changes: changes.length }, 'member level ladder set');
      const ladder = (await db.levels.ladder(tenantId))!;
      return { ...answerLadder(ladder, tenant.timeZone), changesRecorded: changes.length };
    },

    /** A contact's level right now, from the ledger (no job needs to have run), with what the next level still needs. */
    async memberLevel(tenant: TenantRecord, contactId: string) {
      ensureAllTransaction(tenant);
      const ladder = await db.levels.ladder(tenant.id);
      if (!ladder) throw noLadder();
      const at = clock.now();
      const span = windowAt(ladder.window, at, tenant.timeZone);
      const [qualifying, recorded] = await Promise.all([
        db.levels.qualifyingOf(tenant.id, ladder, span, at, contactId),
        db.levels.recorded(tenant.id, [contactId]),
      ]);
      const level = levelFor(ladder, qualifying, span);
      const mine = recorded.get(contactId);
      return { ...level, basis: ladder.basis, since: mine && mine.key === level.level.key ? mine.since : null };
    },

    /** A contact's recorded changes, newest first; readable in either mode, so a tenant that left all-transaction mode keeps them. */
    history: (tenant: TenantRecord, contactId: string, page: { offset: number; count: number }) => db.levels.history(tenant.id, contactId, page),

    /** The worker, after a batch: records the changes of the contacts it touched on the ladder's definition. */
    async recordAfterBatch(tenantId: string, contactIds: readonly string[]): Promise<LevelChangeRecord[]> {
      const tenant = await db.tenants.find(tenantId);
      if (!tenant || tenant.mode !== 'all-transaction' || contactIds.length === 0) return [];
      const ladder = await db.levels.ladder(tenantId);
      if (!ladder) return [];
      return recordAndAnnounce(tenant, ladder, contactIds, 'Transactions');
    },

    /** The worker, periodically: records what time changed (rolling windows moving on, a calendar year ending) for every tenant with a ladder. */
    async recordTimeMoves(): Promise<number> {
      let recorded = 0;
      for (const { tenantId, timeZone } of await db.levels.tenantsWithLadders()) {
        const ladder = await db.levels.ladder(tenantId);
        if (ladder) recorded += (await recordAndAnnounce({ id: tenantId, timeZone }, ladder, null, 'WindowMoved')).length;
      }
      return recorded;
    },
  };
}

export type LevelsService = ReturnType<typeof levelsService>;
