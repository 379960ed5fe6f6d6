import { z } from 'zod';
import { BONUS_POINT_TYPES } from '../domain/bonus-points.ts';
import { contactId, paging } from './common.ts';

/** Engage's BonusPointTransaction: a line of a contact's point history. Fields without a value are left out. */
const bonusPointTransaction = z
  .object({
    id: z.string().optional().describe("The ledger entry's id in all-transaction mode; absent for the master's points-log lines, which have none"),
    amount: z.int(),
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
