import { z } from 'zod';

/**
 * Engage's published v2 models (and, below, its v3 point models), written from its documentation and not from
 * this service's contracts: every field optional, none nullable, the listed
 * types, and `type` an enum where Engage gives one. Unknown fields are allowed
 * (clients ignore them; the follower adds a few, such as the batch `id`),
 * but no answer may hold a `null` anywhere (see `nullPaths`).
 */

const hypermediaLink = z.looseObject({ href: z.string().optional(), method: z.string().optional(), rel: z.string().optional() });
const links = z.array(hypermediaLink).optional();

export const pointAccount = z.looseObject({
  id: z.number().optional(),
  contactId: z.string().optional(),
  definitionId: z.number().optional(),
  balance: z.number().optional(),
  pendingPoints: z.number().optional(),
  balanceExpires: z.string().optional(),
  links,
});

export const pointDefinition = z.looseObject({ id: z.number().optional(), name: z.string().optional(), description: z.string().optional(), links });

export const pointTransaction = z.looseObject({
  id: z.number().optional(),
  accountId: z.number().optional(),
  amount: z.number().optional(),
  type: z.string().optional(),
  source: z.string().optional(),
  description: z.string().optional(),
  transactionDate: z.string().optional(),
  validFrom: z.string().optional(),
  validTo: z.string().optional(),
  createdOn: z.string().optional(),
  modifiedOn: z.string().optional(),
  retailTransactionLineItemId: z.string().optional(),
  links,
});

const list = <T extends z.ZodType>(item: T) =>
  z.looseObject({ items: z.array(item).optional(), totalCount: z.number().optional(), offset: z.number().optional(), count: z.number().optional(), links });

export const pointAccountList = list(pointAccount);
export const pointTransactionList = list(pointTransaction);

const pointTransactionToAccount = z.looseObject({
  contactId: z.string().optional(),
  amount: z.number().optional(),
  definitionId: z.number().optional(),
  timeStamp: z.string().optional(),
  source: z.string().optional(),
  description: z.string().optional(),
  validFrom: z.string().optional(),
  validTo: z.string().optional(),
});

export const pointTransactionToAccountResult = z.looseObject({
  notAccepted: z.array(pointTransactionToAccount).optional(),
  errorMessages: z.array(z.string()).optional(),
  missingDefinitionIds: z.array(z.number()).optional(),
  missingContactIds: z.array(z.string()).optional(),
});

const BONUS_POINT_TRANSACTION_TYPES = [
  'Purchase',
  'Adjustment',
  'Recruitment',
  'PurchaseReduction',
  'Return',
  'BonusCheck',
  'DueDate',
  'StartBonus',
  'BonusPromotion',
  'BonusPromotionReturn',
  'FromAutomation',
  'BonusBalanceAdjustment',
  'PurchaseWithPoints',
] as const;

const bonusPointTransaction = z.looseObject({
  id: z.string().optional(),
  amount: z.number().optional(),
  transactionDateTime: z.string().optional(),
  description: z.string().optional(),
  type: z.enum(BONUS_POINT_TRANSACTION_TYPES).optional(),
  automationBonusAdjustmentReason: z.string().optional(),
});

export const pagedResultOfBonusPointTransactionModel = z.looseObject({
  items: z.array(bonusPointTransaction).optional(),
  totalCount: z.number().optional(),
  offset: z.number().optional(),
  count: z.number().optional(),
});

/** The answer to AdjustRewardPoints: here both fields are required. */
export const adjustRewardPointsResult = z.looseObject({ contactId: z.string(), totalRewardPoints: z.number() });

/**
 * Engage's v3 point models. v3 changed the ids: its examples show GUID
 * strings for an account's `id` and a transaction's `id` and `accountId`;
 * definitions keep integer ids. The rest is as in v2: every field optional,
 * none nullable.
 */
const guidString = z.guid().optional();

export const pointAccountV3 = pointAccount.extend({ id: guidString });
export const pointTransactionV3 = pointTransaction.extend({ id: guidString, accountId: guidString });
export const pointAccountV3List = list(pointAccountV3);
export const pointTransactionV3List = list(pointTransactionV3);
export const pointDefinitionV3List = list(pointDefinition);

/** The JSON paths of every `null` in a value: Engage's models have none, extension fields included. */
export function nullPaths(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => nullPaths(item, `${path}[${index}]`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => nullPaths(item, `${path}.${key}`));
  return [];
}

/** Every model, by the name this service's OpenAPI document gives it, with the fields Engage allows to be absent. */
export const MODELS_IN_OPENAPI = {
  PointAccount: pointAccount,
  PointDefinition: pointDefinition,
  PointTransaction: pointTransaction,
  PointAccountList: pointAccountList,
  PointTransactionList: pointTransactionList,
  PointTransactionsAccepted: pointTransactionToAccountResult,
  PointTransactionToAccount: pointTransactionToAccount,
  BonusPointTransaction: bonusPointTransaction,
  PagedResultOfBonusPointTransactionModel: pagedResultOfBonusPointTransactionModel,
  AdjustRewardPointsResult: adjustRewardPointsResult,
  PointAccountV3: pointAccountV3,
  PointTransactionV3: pointTransactionV3,
  PointAccountV3List: pointAccountV3List,
  PointTransactionV3List: pointTransactionV3List,
  PointDefinitionV3List: pointDefinitionV3List,
} as const;
