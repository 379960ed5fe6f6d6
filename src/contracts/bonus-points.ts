import { z } from 'zod';
import { BONUS_POINT_TYPES } from '../domain/bonus-points.ts';
import { contactId, paging, pointAmount, pointFigure, storableText } from './common.ts';

/** Engage's BonusPointTransaction: a line of a contact's point history. Fields without a value are left out. */
const bonusPointTransaction = z
  .object({
    id: z.string().optional().describe("The ledger entry's id in all-transaction mode; absent for the master's points-log lines, which have none"),
    amount: pointFigure,
    transactionDateTime: z.string(),
    description: z.string(),
    type: z
      .enum(BONUS_POINT_TYPES)
      .optional()
      .describe(
        'From the entry source: Purchase, Return, Expiry→DueDate, Automation→FromAutomation, UpdateBalance/OpeningBalance→BonusBalanceAdjustment, anything else→Adjustment. Absent for points-log lines, which carry no source',
      ),
    automationBonusAdjustmentReason: z.string().optional(),
  })
  .meta({ id: 'BonusPointTransaction' });

export const bonusPointTransactionPage = z
  .object({ items: z.array(bonusPointTransaction), totalCount: z.int(), offset: z.int(), count: z.int() })
  .meta({ id: 'PagedResultOfBonusPointTransactionModel' });

export const contactParams = z.object({ contactId });
export const bonusPointQuery = paging;

/** Engage's AdjustRewardPoints request. */
export const rewardPointsBody = z
  .object({
    points: pointAmount({ nonZero: true }),
    description: storableText.trim().min(1).max(1000).optional(),
    type: storableText.trim().min(1).max(200).optional().describe('Why; sent to the master as the adjustment reason'),
  })
  .meta({ id: 'AdjustRewardPoints' });
export type RewardPointsInput = z.output<typeof rewardPointsBody>;

export const rewardPointsAnswer = z
  .object({
    contactId: z.string(),
    totalRewardPoints: pointFigure.describe("The account's current balance: unchanged until the master's next sync brings the adjustment back"),
  })
  .meta({ id: 'AdjustRewardPointsResult' });
export type RewardPointsAnswer = z.output<typeof rewardPointsAnswer>;
