import { z } from 'zod';
import { contactId, links, paging, pointFigure } from './common.ts';

export const pointAccount = z
  .object({
    id: z.number().int(),
    contactId: z.string(),
    definitionId: z.number().int(),
    balance: pointFigure.describe('A decimal with up to 4 places'),
    pendingPoints: pointFigure,
    balanceExpires: z.string().optional().describe('The earliest validTo among active points; absent when nothing expires (and in balance-only mode)'),
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
