import { z } from 'zod';
import type { DuplicateRow, EchoedTransactionRow, TransactionRowInput } from '../domain/transactions.ts';
import { anyCaseEnum, contactId, definitionId, isoDateTime, links, paging, pointAmount, pointFigure, storableText, unlessMissing } from './common.ts';

// Control characters (C0, DEL, C1) would make an id that logs and terminals show wrongly.
// eslint-disable-next-line no-control-regex -- control characters are what this looks for.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** The master's id for a transaction row (sync assurance). */
const externalId = storableText
  .min(1, 'must be 1-100 characters')
  .max(100, 'must be 1-100 characters')
  .refine((value) => !controlCharacter.test(value), 'must not contain control characters');

/** A row's place in the master's stream: 1 to 2^53-1 (z.int stops at 2^53-1 by itself, under the same message). */
const sequence = z
  .int({ error: unlessMissing(`must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`) })
  .min(1, `must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`);

const text = (max: number) => storableText.max(max, `must be at most ${max} characters`).refine((value) => value.trim().length > 0, 'must not be empty');

/**
 * One row of POST /point-accounts/transactions. The request body is not
 * validated against this as a whole: each row is checked on its own, as Engage
 * does, so one bad row does not fail the others (see domain/ledger.ts).
 */
export const transactionRow = z
  .object({
    contactId,
    amount: pointAmount({ nonZero: true }).describe(
      'Positive: points given; negative: points taken. A decimal with up to 4 places, from -2147483648 to 2147483647, not zero',
    ),
    definitionId,
    timeStamp: isoDateTime.optional().describe('When the transaction happened; defaults to the time of the request'),
    source: text(100).describe('Purchase, Adjustment, Return, Automation, Manual, ...'),
    description: text(1000),
    validFrom: isoDateTime
      .optional()
      .describe(
        'Points are pending until then; defaults to timeStamp when that is earlier than the request (a row sent late counts from when it happened), else to the time of the request',
      ),
    validTo: isoDateTime.nullish().describe('Points expire then; must be after validFrom; absent or null: never'),
    externalId: externalId
      .optional()
      .describe("The master's own id for the row, unique per tenant for ever: a row sent again is reported as a duplicate, not applied twice"),
    sequence: sequence
      .optional()
      .describe("The row's position in the master's stream of transactions for this tenant, from 1 without holes: gaps show in GET /point-accounts/sync"),
  })
  .meta({ id: 'PointTransactionRow' }) satisfies z.ZodType<TransactionRowInput>;

export const transactionsBody = z
  .array(z.unknown().describe('A PointTransactionRow; rows are checked one by one'))
  .min(1, 'must contain at least one item')
  .describe('Point transactions (PointTransactionRow), at most 1000');

/**
 * Engage's PointTransactionToAccount: a refused row as echoed in notAccepted.
 * Only fields whose sent value fits these types are echoed (see domain/ledger.ts
 * echoRow); the error message still names the others.
 */
const echoedTransactionRow = z
  .object({
    contactId: z.string().optional(),
    amount: z.number().optional(),
    definitionId: z.number().optional(),
    timeStamp: z.string().optional(),
    source: z.string().optional(),
    description: z.string().optional(),
    validFrom: z.string().optional(),
    validTo: z.string().optional(),
    externalId: z.string().optional(),
    sequence: z.int().optional(),
  })
  .meta({ id: 'PointTransactionToAccount' }) satisfies z.ZodType<EchoedTransactionRow>;

export const duplicateRow = z
  .object({
    index: z.int().describe("The row's index in its request"),
    externalId: z.string().optional(),
    sequence: z.int().optional(),
    transactionId: z.int().describe('The ledger entry the row already is'),
  })
  .meta({ id: 'DuplicateRow' }) satisfies z.ZodType<DuplicateRow>;

export const transactionsAccepted = z
  .object({
    id: z.uuid().describe('The batch id; its status is at the Location URL'),
    notAccepted: z
      .array(echoedTransactionRow)
      .describe('The rejected rows, as sent, with only the fields whose values fit the model (a null or wrongly typed field is left out)'),
    errorMessages: z.array(z.string()).describe('Why each row was rejected, naming its index and field'),
    missingDefinitionIds: z.array(z.int()),
    missingContactIds: z.array(z.string()).describe('Only when the tenant requires known contacts'),
    duplicates: z
      .array(duplicateRow)
      .describe('Rows already in the ledger with the same content (same externalId or sequence): reported, not applied again, not refused'),
    duplicateCount: z.int(),
  })
  .meta({ id: 'PointTransactionsAccepted' });
export type TransactionsAccepted = z.output<typeof transactionsAccepted>;

export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .describe('Kept 24 h: a retry with the same key and body gets the first answer and applies nothing twice'),
});

const ledgerEntryType = z.enum(['Addition', 'Deduction', 'Expiry']);

export const pointTransaction = z
  .object({
    id: z.int(),
    accountId: z.int(),
    amount: pointFigure,
    type: ledgerEntryType,
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
  .meta({ id: 'PointTransaction' });

export const pointTransactionList = z
  .object({ items: z.array(pointTransaction), totalCount: z.int(), offset: z.int(), count: z.int(), links })
  .meta({ id: 'PointTransactionList' });

export const transactionFilter = anyCaseEnum(['All', 'Active', 'Pending']);
export type TransactionFilter = z.output<typeof transactionFilter>;

export const transactionListQuery = paging
  .extend({
    accountId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    contactId: contactId.optional(),
    definitionId: z.coerce.number().pipe(definitionId).optional(),
    filter: transactionFilter.default('All'),
    externalId: externalId.optional().describe('Finds the one transaction with this externalId (the other filters are then ignored)'),
  })
  // As Engage documents it: given accountId, contactId and definitionId are ignored (they are still checked for form).
  .refine((q) => q.externalId !== undefined || q.accountId !== undefined || (q.contactId !== undefined && q.definitionId !== undefined), {
    message: 'give accountId, or contactId and definitionId, or externalId',
    path: ['accountId'],
  });
