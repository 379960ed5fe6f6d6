import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as adjustments from '../../src/contracts/adjustments.ts';
import * as admin from '../../src/contracts/admin.ts';
import * as balances from '../../src/contracts/balances.ts';
import * as bonusPoints from '../../src/contracts/bonus-points.ts';
import * as common from '../../src/contracts/common.ts';
import * as digests from '../../src/contracts/digests.ts';
import * as integrations from '../../src/contracts/integrations.ts';
import * as levels from '../../src/contracts/levels.ts';
import * as pointAccounts from '../../src/contracts/point-accounts.ts';
import * as pointReadsV3 from '../../src/contracts/point-reads-v3.ts';
import * as pointsLog from '../../src/contracts/points-log.ts';
import * as reconciliations from '../../src/contracts/reconciliations.ts';
import * as sync from '../../src/contracts/sync.ts';
import * as transactions from '../../src/contracts/transactions.ts';
import * as uiUsers from '../../src/contracts/ui-users.ts';
import * as ui from '../../src/contracts/ui.ts';
import { invalidFieldsDetail, onePerField, orList } from '../../src/domain/messages.ts';

/** The validator's own words, and the counting shorthand people should not meet. */
const VALIDATOR_WORDING = /\bexpected\b|invalid option|too big|too small|invalid input|field\(s\)|\breceived\b|\bnan\b/i;

const messagesOf = (schema: z.ZodType, input: unknown) => {
  let parsed;
  try {
    parsed = schema.safeParse(input);
  } catch {
    return []; // a form schema takes only what stringFields passes it (an object of strings)
  }
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
};

describe('the message catalogue', () => {
  it('words every kind of refusal for people', () => {
    expect(messagesOf(z.object({ a: z.number() }), {})).toEqual(['is required']);
    expect(messagesOf(z.number(), 'x')).toEqual(['must be a number']);
    expect(messagesOf(z.int(), 1.5)).toEqual(['must be a whole number']);
    expect(messagesOf(z.int(), 2 ** 60)).toEqual(['must be at most 9,007,199,254,740,991']);
    expect(messagesOf(z.number().max(100_000), 100_001)).toEqual(['must be at most 100,000']);
    expect(messagesOf(z.number().positive(), 0)).toEqual(['must be more than 0']);
    expect(messagesOf(z.number().min(1), 0)).toEqual(['must be at least 1']);
    expect(messagesOf(z.string().min(1), '')).toEqual(['must not be empty']);
    expect(messagesOf(z.string().max(1), 'ab')).toEqual(['must be at most 1 character']);
    expect(messagesOf(z.string().max(100), 'a'.repeat(101))).toEqual(['must be at most 100 characters']);
    expect(messagesOf(z.array(z.number()).max(2), [1, 2, 3])).toEqual(['may hold at most 2 items']);
    expect(messagesOf(z.array(z.number()).min(1), [])).toEqual(['must hold at least one item']);
    expect(messagesOf(z.enum(['balance-only', 'all-transaction']), 'both')).toEqual(['must be one of “balance-only” or “all-transaction”']);
    expect(messagesOf(z.literal('yes'), 'no')).toEqual(['must be “yes”']);
    expect(messagesOf(z.uuid(), 'x')).toEqual(['must be a uuid, like 2f1c9a4e-0b7d-4c2e-9a51-6f3e8d2b7c10']);
    expect(messagesOf(z.url(), 'x')).toEqual(['must be a web address (URL)']);
    expect(messagesOf(z.string().regex(/^a$/), 'b')).toEqual(['is not in the form this field takes']);
    expect(messagesOf(z.strictObject({}), { x: 1 })).toEqual(['has a field this request does not take: “x”']);
    expect(messagesOf(z.strictObject({}), { x: 1, y: 2 })).toEqual(['has 2 fields this request does not take: “x”, “y”']);
    expect(messagesOf(z.union([z.number(), z.boolean()]), 'x')).toEqual(['is not in any of the forms this field takes']);
    expect(messagesOf(z.number().multipleOf(5), 7)).toEqual(['must be a multiple of 5']);
  });

  it('keeps the words a schema chose for itself', () => {
    expect(messagesOf(z.number().max(1, 'is too large'), 2)).toEqual(['is too large']);
  });

  it('says how many fields are refused without "field(s)", and keeps one sentence per field', () => {
    expect(invalidFieldsDetail(1, 'body')).toBe('One field of the body is not valid');
    expect(invalidFieldsDetail(3, 'query string')).toBe('3 fields of the query string are not valid');
    expect(
      onePerField([
        { path: 'a', n: 1 },
        { path: 'a', n: 2 },
        { path: 'b', n: 3 },
      ]).map((i) => i.n),
    ).toEqual([1, 3]);
    expect(orList(['a', 'b', 'c'])).toBe('“a”, “b” or “c”');
  });

  // Every schema of every contract, given values of every wrong kind: no message a person reads carries validator wording.
  const modules = {
    adjustments,
    admin,
    balances,
    bonusPoints,
    common,
    digests,
    integrations,
    levels,
    pointAccounts,
    pointReadsV3,
    pointsLog,
    reconciliations,
    sync,
    transactions,
    uiUsers,
    ui,
  };
  const schemas = Object.entries(modules).flatMap(([module, exports]) =>
    Object.entries(exports)
      .filter((entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType)
      .map(([name, schema]) => [`${module}.${name}`, schema] as const),
  );
  const wrong: unknown[] = [
    undefined,
    null,
    '',
    'x',
    '1,000',
    -1,
    0,
    1.5,
    2 ** 31,
    2 ** 60,
    Number.NaN,
    true,
    [],
    [{}],
    [null],
    {},
    { x: 1 },
    'a'.repeat(5000),
    [1, 2],
  ];

  it.each(schemas)('%s words every refusal for people', (_name, schema) => {
    const messages = wrong.flatMap((input) => messagesOf(schema, input));
    expect(messages.filter((message) => VALIDATOR_WORDING.test(message))).toEqual([]);
  });
});
