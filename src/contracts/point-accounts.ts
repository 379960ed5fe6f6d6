import { z } from 'zod';
import { contactId, links, paging, pointFigure } from './common.ts';

export const pointAccount = z
  .object({
    id: z.number().int(),
    contactId,
    definitionId: z.number().int(),
    balance: pointFigure.describe('A decimal with up to 4 places'),
    pendingPoints: pointFigure,
    balanceExpires: z
      .string()
      .optional()
      .describe('The soonest validTo among active lots with points left; absent when nothing expires (and in balance-only mode)'),
    expiringWithin30Days: pointFigure.optional().describe('Extension: what is left of active lots expiring within 30 days; absent when none'),
    expiringWithin60Days: pointFigure.optional().describe('Extension: the same within 60 days (30 included); absent when none'),
    expiringWithin90Days: pointFigure.optional().describe('Extension: the same within 90 days (30 and 60 included); absent when none'),
    links,
  })
  .meta({ id: 'PointAccount' });

export const pointAccountList = z
  .object({
    items: z.array(pointAccount),
    totalCount: z.int(),
    offset: z.int(),
    count: z.int(),
    links,
  })
  .meta({ id: 'PointAccountList' });

export const pointAccountQuery = paging.extend({ contactId });

export const pointDefinition = z
  .object({ id: z.int(), name: z.string(), description: z.string().optional().describe('Absent when the definition has none'), links })
  .meta({ id: 'PointDefinition' });
