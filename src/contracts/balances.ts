import { z } from 'zod';
import { duplicateRow } from './transactions.ts';
import { isAmount } from '../domain/amounts.ts';
import { BATCH_STATUSES } from '../domain/batches.ts';
import type { BalanceItem } from '../domain/balances.ts';
import { canonicalInstant, contactId, definitionId, INT32, isoDateTime, pointAmount } from './common.ts';

const balanceItem = z
  .object({
    contactId,
    amount: pointAmount({ nonZero: false }).describe('The balance: a decimal with up to 4 places, from -2147483648 to 2147483647'),
    definitionId,
    timeStamp: isoDateTime.describe('When the master computed this balance; older balances than the one applied are skipped as stale'),
  })
  .meta({ id: 'BalanceItem' }) satisfies z.ZodType<BalanceItem>;

export const balanceBatchBody = z.array(balanceItem).min(1, 'must contain at least one item');

const LOWERCASE_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isDefinitionId = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= INT32.max;

/**
 * A balance batch in the form masters usually send (lowercase ids, canonical
 * UTC times, every value in range), checked by hand and rebuilt with only the
 * schema's fields: exactly what balanceBatchBody answers for it, at a fraction
 * of the cost (validating a 1000-item batch was a quarter of the API's CPU per
 * request). Null for anything else, which then goes through the schema and
 * gets its messages. A property test holds the two together.
 */
export function canonicalBalanceBatch(body: unknown): BalanceItem[] | null {
  if (!Array.isArray(body) || body.length === 0) return null;
  const items = new Array<BalanceItem>(body.length);
  for (let i = 0; i < body.length; i++) {
    const item: unknown = body[i];
    if (typeof item !== 'object' || item === null) return null;
    const { contactId, amount, definitionId, timeStamp } = item as Record<string, unknown>;
    if (typeof contactId !== 'string' || !LOWERCASE_GUID.test(contactId)) return null;
    if (!isAmount(amount) || !isDefinitionId(definitionId)) return null;
    if (typeof timeStamp !== 'string' || canonicalInstant(timeStamp) !== timeStamp) return null;
    items[i] = { contactId, amount, definitionId, timeStamp };
  }
  return items;
}

const batchStatus = z.enum(BATCH_STATUSES);

export const batchAccepted = z.object({ id: z.uuid(), status: batchStatus }).meta({ id: 'BatchAccepted' });

export const batchStatusResponse = z
  .object({
    id: z.uuid(),
    status: batchStatus,
    timeStamp: z.string().describe('Time of the last status change'),
    messages: z.array(z.object({ message: z.string(), timeStamp: z.string() })),
    itemCount: z.int(),
    appliedCount: z.int(),
    skippedCount: z.int(),
    duplicateCount: z.int().describe('Transaction rows already in the ledger (same externalId or sequence, same content): not applied again'),
    duplicates: z.array(duplicateRow),
  })
  .meta({ id: 'BatchStatus' });
