import type { RewardPointsAnswer, RewardPointsInput } from '../contracts/bonus-points.ts';
import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { LedgerEntryRecord } from '../domain/ledger.ts';
import type { PointsLogEntry } from '../domain/points-log.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AdjustmentsService } from './adjustments.service.ts';
import { ensureWithinAdjustmentLimit } from './guards.ts';
import { type Answered, storeAnswer, underIdempotencyKey } from './idempotency.ts';
import type { PointsLogService } from './points-log.service.ts';
import { answerBeforeCommit } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

interface Paged<T> {
  items: T[];
  totalCount: number;
}

/** A contact's point history: the follower's own ledger, or in balance-only mode the master's points log. */
export type ContactPointHistory = ({ kind: 'ledger' } & Paged<LedgerEntryRecord>) | ({ kind: 'points-log' } & Paged<PointsLogEntry>);

/** An Engage automation without a process or workflow behind it: the adjustment's ids say "none". */
const NO_PROCESS = '00000000-0000-0000-0000-000000000000';

/** The points endpoints Engage clients call on a contact: its history, and reward points. */
export function contactPointsService(deps: { db: Database; clock: Clock; log: Logger; pointsLog: PointsLogService; adjustments: AdjustmentsService }) {
  const { db, clock, log, pointsLog, adjustments } = deps;

  /** The tenant's default definition, else its lowest definition id. */
  async function rewardDefinition(tenant: TenantRecord): Promise<number> {
    if (tenant.defaultDefinitionId !== undefined) return tenant.defaultDefinitionId;
    const [lowest] = await db.definitions.list(tenant.id, { offset: 0, count: 1 });
    if (!lowest) throw new AppError('conflict', `Tenant ${tenant.name} has no point definition to reward points on`);
    return lowest.id;
  }

  return {
    /** Newest first. Another tenant's contact, or one without points, has an empty history. */
    async history(tenant: TenantRecord, contactId: string, page: PageRequest): Promise<ContactPointHistory> {
      if (tenant.mode === 'all-transaction') return { kind: 'ledger', ...(await db.ledger.listContactEntries(tenant.id, contactId, page)) };
      // The master keeps the history in balance-only mode; its log comes newest first and is paged here.
      const log = await pointsLog.get(tenant, contactId);
      return { kind: 'points-log', items: log.slice(page.offset, page.offset + page.count), totalCount: log.length };
    },

    /**
     * Engage's "adjust reward points". A follower does not change the balance:
     * the points become an Automation adjustment on the default definition,
     * sent to the master through the outbox like every other adjustment. The
     * answer is the current balance, which the master's next sync updates.
     */
    reward(tenant: TenantRecord, contactId: string, input: RewardPointsInput, idempotencyKey: string | undefined): Promise<Answered<RewardPointsAnswer>> {
      const request = { rewardPointTransaction: { contactId, ...input } };
      return underIdempotencyKey(
        { db, log },
        { tenant, key: idempotencyKey, request, now: clock.now() },
        async (hold) => {
          ensureWithinAdjustmentLimit(tenant, input.points, 'points');
          const definitionId = await rewardDefinition(tenant);
          const reason = input.type ?? input.description ?? 'Reward points';
          let answer: RewardPointsAnswer | undefined;
          await adjustments.record(
            tenant,
            {
              source: 'Automation',
              contactId,
              definitionId,
              amount: input.points,
              description: input.description ?? reason,
              reason,
              processId: NO_PROCESS,
              workflowId: NO_PROCESS,
              workflowName: '',
            },
            async (tx) => {
              const accountId = await tx.pointAccounts.findId(tenant.id, { contactId, definitionId });
              const account = accountId === null ? null : await tx.pointAccounts.find(tenant, accountId, clock.now());
              answer = { contactId, totalRewardPoints: account?.balance ?? 0 };
              await storeAnswer(tx, hold, await answerBeforeCommit(tx, answer));
            },
          );
          return answer!;
        },
        (stored) => stored as RewardPointsAnswer,
      );
    },
  };
}

export type ContactPointsService = ReturnType<typeof contactPointsService>;
