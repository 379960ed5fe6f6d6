import { z } from 'zod';
import { contactId, definitionId, links, paging, pointFigure, unlessMissing } from './common.ts';
import { pointAccount, pointDefinition } from './point-accounts.ts';
import { transactionFilter } from './transactions.ts';

/**
 * Engage's v3 point reads. v3 names accounts and transactions by GUID (its
 * examples show GUID `id` and `accountId`); each account and ledger entry
 * has a stable GUID beside its v2 integer id, and v3 takes only the GUID.
 * Definitions keep their integer ids, as definitionId does everywhere.
 */
const guid = z.guid({ error: unlessMissing('must be a GUID') }).overwrite((id) => id.toLowerCase());

export const guidParam = z.object({ id: guid });

export const pointAccountV3 = z
  .object({
    id: z.guid().describe("The account's v3 id"),
    contactId: z.string(),
    definitionId: z.int(),
    // The figures are v2's, by the same rule and with the same extensions.
    ...pointAccount.pick({
      balance: true,
      pendingPoints: true,
      balanceExpires: true,
      expiringWithin30Days: true,
      expiringWithin60Days: true,
      expiringWithin90Days: true,
    }).shape,
    links,
  })
  .meta({ id: 'PointAccountV3' });

export const pointAccountV3List = z
  .object({ items: z.array(pointAccountV3), totalCount: z.int(), offset: z.int(), count: z.int(), links })
  .meta({ id: 'PointAccountV3List' });

export const pointTransactionV3 = z
  .object({
    id: z.guid().describe("The transaction's v3 id"),
    accountId: z.guid().describe("The account's v3 id"),
    amount: pointFigure,
    type: z.enum(['Addition', 'Deduction', 'Expiry']),
    source: z.string(),
    description: z.string(),
    transactionDate: z.string(),
    validFrom: z.string(),
    validTo: z.string().optional().describe('Absent when the points never expire'),
    createdOn: z.string(),
    modifiedOn: z.string(),
    externalId: z.string().optional().describe("The master's id for the row; absent when it sent none"),
    sequence: z.int().optional().describe("The row's place in the master's stream; absent when it sent none"),
    retailTransactionLineItemId: z
      .string()
      .optional()
      .describe('Engage links purchase-generated points to a receipt line; the follower never generates points from purchases, so it is always absent'),
    links,
  })
  .meta({ id: 'PointTransactionV3' });

export const pointTransactionV3List = z
  .object({ items: z.array(pointTransactionV3), totalCount: z.int(), offset: z.int(), count: z.int(), links })
  .meta({ id: 'PointTransactionV3List' });

export const pointDefinitionV3List = z
  .object({ items: z.array(pointDefinition), totalCount: z.int(), offset: z.int(), count: z.int(), links })
  .meta({ id: 'PointDefinitionV3List' });

export const pointTransactionV3Query = paging
  .extend({
    accountId: guid.optional().describe("The account's v3 id; given, contactId and definitionId are ignored"),
    contactId: contactId.optional(),
    definitionId: z.coerce.number().pipe(definitionId).optional(),
    filter: transactionFilter.default('All').describe('All, Active or Pending, in any case'),
  })
  .refine((q) => q.accountId !== undefined || (q.contactId !== undefined && q.definitionId !== undefined), {
    message: 'give accountId, or contactId and definitionId',
    path: ['accountId'],
  });
