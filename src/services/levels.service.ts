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
import { answerBeforeCommit } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

function ensureAllTransaction(tenant: Pick<TenantRecord, 'mode'>): void {
  if (tenant.mode !== 'all-transaction') {
    throw new AppError('levels_need_all_transaction', 'Member levels are derived from the ledger, which only all-transaction mode keeps');
  }
}

/** The level changes the contact card lists; the API pages through all of them. */
const CARD_HISTORY = 20;

const noLadder = () => new AppError('not_configured', 'This tenant has no member level ladder yet; an operator sets it (PUT /admin/v1/tenants/{id}/levels)');

/** Which contacts to look at: some (those a batch touched), or every contact with an account or a recorded level. */
type Contacts = readonly string[] | null;

/**
 * Member levels: the ladder an operator sets, the level of a contact as
 * read (derived from the ledger at the time of the request), and the changes
 * the worker records and announces.
 */
export function levelsService(deps: {
  db: Database;
  clock: Clock;
  log: Logger;
  queueDeliveries: QueueDeliveries;
  /**
   * Test-only seam: awaited by the periodic pass between its lock-free first
   * pass and its recording, so a test can change the tenant in that gap.
   */
  afterSweepSelect?: (tenantId: string, moved: readonly string[]) => Promise<void>;
}) {
  const { db, clock, log, queueDeliveries, afterSweepSelect } = deps;

  /**
   * The contacts among `contacts` whose level differs from the one recorded,
   * read without any lock: a cheap first pass, so that a periodic pass locks
   * only the few contacts that moved.
   */
  async function movedContacts(tx: Database, tenant: { id: string; timeZone: string }, ladder: Ladder, contacts: Contacts, at: Date, implicitBase: Level) {
    const span = windowAt(ladder.window, at, tenant.timeZone);
    const [figures, recorded] = await Promise.all([tx.levels.qualifying(tenant.id, ladder, span, at, contacts), tx.levels.recorded(tenant.id, contacts)]);
    return [...new Set([...figures.keys(), ...recorded.keys()])].filter((contactId) => {
      const wanted = ladder.levels[levelIndex(ladder.levels, figures.get(contactId) ?? 0)]!;
      return wanted.key !== (recorded.get(contactId)?.key ?? implicitBase.key);
    });
  }

  /**
   * Records the level changes of `candidates` as of `at`: in one transaction
   * holding the tenant's mode (all-transaction, or nothing is recorded), the
   * ladder and those contacts' rows (locked in contact order), it
   * reads their figures afresh and writes each change with its history row
   * (and its webhook when the ladder announces changes). Two recorders on the
   * same contacts queue on the row locks; the second reads the figures after
   * the first has committed, finds the level already recorded and writes
   * nothing.
   */
  async function record(
    tx: Database,
    tenant: { id: string; timeZone: string },
    candidates: readonly string[],
    reason: LevelChangeReason,
    at: Date,
    implicitBase: (ladder: Ladder) => Level,
  ): Promise<{ changes: LevelChangeRecord[]; deliveries: QueuedDelivery[] }> {
    if (candidates.length === 0) return { changes: [], deliveries: [] };
    const sorted = [...candidates].sort();
    return tx.transaction(async (inner) => {
      // The mode as it stands now, held until commit: a switch to balance-only made after the caller chose these
      // contacts (the periodic pass reads without locks) is seen here, and one made later waits for this commit.
      if ((await inner.tenants.holdMode(tenant.id)) !== 'all-transaction') return { changes: [], deliveries: [] };
      // The ladder as it stands now, held until commit: an operator's PUT cannot slip in between.
      const ladder = await inner.levels.ladder(tenant.id, { lock: true });
      if (!ladder) return { changes: [], deliveries: [] };
      await inner.levels.lockContacts(tenant.id, sorted, implicitBase(ladder));
      const fresh = await inner.levels.qualifying(tenant.id, ladder, windowAt(ladder.window, at, tenant.timeZone), at, sorted);
      const moves = sorted.map((contactId) => {
        const qualifying = fresh.get(contactId) ?? 0;
        return { contactId, qualifying, to: ladder.levels[levelIndex(ladder.levels, qualifying)]! };
      });
      const changes = await inner.levels.recordChanges(tenant.id, moves, reason, at);
      if (!ladder.announce || changes.length === 0) return { changes, deliveries: [] };
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

  const firstLevel = (ladder: Ladder) => ladder.levels[0]!;

  /** The periodic pass for one tenant: a first pass without locks, then `record` for the contacts that moved; webhooks queued after commit. */
  async function recordTimeMovesOf(tenant: { id: string; timeZone: string }, ladder: Ladder): Promise<LevelChangeRecord[]> {
    const at = clock.now();
    const { changes, deliveries } = await retryOnConflict(async () => {
      const moved = await movedContacts(db, tenant, ladder, null, at, firstLevel(ladder));
      await afterSweepSelect?.(tenant.id, moved);
      return record(db, tenant, moved, 'WindowMoved', at, firstLevel);
    });
    if (deliveries.length > 0) await queueDeliveries(deliveries);
    if (changes.length > 0) log.info({ tenantId: tenant.id, changes: changes.length }, 'member level changes recorded (window moved)');
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
      const { answer, deliveries } = await db.transaction(async (tx) => {
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
        const moved = await movedContacts(tx, tenant, ladder, null, now, implicitBase);
        const { changes, deliveries } = await record(tx, tenant, moved, 'LadderChanged', now, () => implicitBase);
        const stored = (await tx.levels.ladder(tenantId))!;
        return { answer: await answerBeforeCommit(tx, { ...answerLadder(stored, tenant.timeZone), changesRecorded: changes.length }), deliveries };
      });
      if (deliveries.length > 0) await queueDeliveries(deliveries);
      log.info({ tenantId, changes: answer.changesRecorded }, 'member level ladder set');
      return answer;
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

    /** What the contact card shows: the level with the ladder it sits on and the latest changes; null without levels (balance-only, no ladder). */
    async cardLevel(tenant: TenantRecord, contactId: string) {
      if (tenant.mode !== 'all-transaction') return null;
      const ladder = await db.levels.ladder(tenant.id);
      if (!ladder) return null;
      const at = clock.now();
      const span = windowAt(ladder.window, at, tenant.timeZone);
      const [qualifying, history] = await Promise.all([
        db.levels.qualifyingOf(tenant.id, ladder, span, at, contactId),
        db.levels.history(tenant.id, contactId, { offset: 0, count: CARD_HISTORY }),
      ]);
      return { ...levelFor(ladder, qualifying, span), ladder, history };
    },

    /** A contact's recorded changes, newest first; readable in either mode, so a tenant that left all-transaction mode keeps them. */
    history: (tenant: TenantRecord, contactId: string, page: PageRequest) => db.levels.history(tenant.id, contactId, page),

    /**
     * The worker, inside a batch's transaction once its entries are written:
     * records the changes of the contacts it touched. Every one of them is
     * locked (no first pass), so a batch committing meanwhile for the same
     * contact is counted: this one reads the figures after waiting for it.
     * Answers the webhooks to queue once the batch has committed.
     */
    async recordInBatch(tx: Database, tenantId: string, contactIds: readonly string[], at: Date): Promise<QueuedDelivery[]> {
      const tenant = await tx.tenants.find(tenantId);
      if (!tenant || tenant.mode !== 'all-transaction' || contactIds.length === 0 || !(await tx.levels.ladder(tenantId))) return [];
      const { changes, deliveries } = await record(tx, tenant, contactIds, 'Transactions', at, firstLevel);
      if (changes.length > 0) log.info({ tenantId, changes: changes.length }, 'member level changes recorded');
      return deliveries;
    },

    /** Queues the webhooks recordInBatch wrote, once their transaction has committed. */
    announce: async (deliveries: QueuedDelivery[]) => {
      if (deliveries.length > 0) await queueDeliveries(deliveries);
    },

    /** The worker, periodically: records what time changed (rolling windows moving on, a calendar year ending) for every tenant with a ladder. */
    async recordTimeMoves(): Promise<number> {
      let recorded = 0;
      for (const { tenantId, timeZone } of await db.levels.tenantsWithLadders()) {
        const ladder = await db.levels.ladder(tenantId);
        if (ladder) recorded += (await recordTimeMovesOf({ id: tenantId, timeZone }, ladder)).length;
      }
      return recorded;
    },
  };
}

export type LevelsService = ReturnType<typeof levelsService>;
