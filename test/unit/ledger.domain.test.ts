import { describe, expect, it } from 'vitest';
import { transactionRow } from '../../src/contracts/transactions.ts';
import { accountKeys, checkTransactionRow, checkTransactionRows, entryState, planTransactions, referencedIds } from '../../src/domain/ledger.ts';

const A = '00000000-0000-0000-0000-00000000000a';
const B = '00000000-0000-0000-0000-00000000000b';
const NOW = new Date('2030-01-10T12:00:00.000Z');
const at = (iso: string) => new Date(iso);
const parseRow = (sent: unknown) => transactionRow.safeParse(sent);

const row = (overrides: Record<string, unknown> = {}) => ({
  contactId: A,
  amount: 10,
  definitionId: 1,
  source: 'Purchase',
  description: 'Gilded gauntlets',
  ...overrides,
});

describe('entryState', () => {
  const window = { validFrom: at('2030-01-10T00:00:00Z'), validTo: at('2030-01-20T00:00:00Z') };
  it('is pending before validFrom, active from validFrom, expired from validTo', () => {
    expect(entryState(window, at('2030-01-09T23:59:59.999Z'))).toBe('pending');
    expect(entryState(window, at('2030-01-10T00:00:00Z'))).toBe('active');
    expect(entryState(window, at('2030-01-19T23:59:59.999Z'))).toBe('active');
    expect(entryState(window, at('2030-01-20T00:00:00Z'))).toBe('expired');
  });
  it('never expires without validTo', () => {
    expect(entryState({ validFrom: at('2000-01-01T00:00:00Z'), validTo: null }, at('2999-01-01T00:00:00Z'))).toBe('active');
  });
});

describe('checkTransactionRow', () => {
  const requestTime = NOW.toISOString();

  it('fills timeStamp and validFrom with the request time and normalises dates', () => {
    const check = checkTransactionRow(row({ validTo: '2030-06-01T00:00:00+02:00' }), 3, requestTime, 'UTC', parseRow);
    expect(check).toEqual({
      index: 3,
      row: expect.any(Object),
      ok: true,
      transaction: {
        index: 3,
        contactId: A,
        definitionId: 1,
        amount: 10,
        source: 'Purchase',
        description: 'Gilded gauntlets',
        transactionDate: NOW.toISOString(),
        validFrom: NOW.toISOString(),
        validTo: '2030-05-31T22:00:00.000Z',
      },
    });
  });

  it('keeps given dates, lower-cases the contact id and treats a null validTo as never expiring', () => {
    const check = checkTransactionRow(
      row({ contactId: A.toUpperCase(), timeStamp: '2023-06-01T08:40:51.658Z', validFrom: '2023-06-16T08:40:51.658Z', validTo: null }),
      0,
      requestTime,
      'UTC',
      parseRow,
    );
    expect(check.ok && check.transaction).toMatchObject({
      contactId: A,
      transactionDate: '2023-06-01T08:40:51.658Z',
      validFrom: '2023-06-16T08:40:51.658Z',
      validTo: null,
    });
  });

  it('lets a row sent without validFrom count from its timeStamp when that is earlier than its arrival, else from its arrival', () => {
    const validFrom = (fields: Record<string, unknown>) => {
      const check = checkTransactionRow(row(fields), 0, requestTime, 'UTC', parseRow);
      return check.ok ? check.transaction.validFrom : null;
    };
    // sent late: counts from when it happened
    expect(validFrom({ timeStamp: '2030-01-10T11:30:00Z' })).toBe('2030-01-10T11:30:00.000Z');
    // dated after its arrival, or not dated: counts from its arrival
    expect(validFrom({ timeStamp: '2030-01-10T12:30:00Z' })).toBe(NOW.toISOString());
    expect(validFrom({})).toBe(NOW.toISOString());
    // a validFrom sent is kept
    expect(validFrom({ timeStamp: '2030-01-10T11:30:00Z', validFrom: '2030-01-10T13:00:00Z' })).toBe('2030-01-10T13:00:00.000Z');
    // validTo is checked against the validFrom it gets
    expect(checkTransactionRow(row({ timeStamp: '2030-01-10T11:00:00Z', validTo: '2030-01-10T11:30:00Z' }), 0, requestTime, 'UTC', parseRow).ok).toBe(true);
  });

  it('accepts negative amounts', () => {
    expect(checkTransactionRow(row({ amount: -25 }), 0, requestTime, 'UTC', parseRow).ok).toBe(true);
  });

  const refused = (input: unknown) => {
    const check = checkTransactionRow(input, 2, requestTime, 'UTC', parseRow);
    if (check.ok) throw new Error('expected the row to be refused');
    return check.messages;
  };

  it('names the row and field of every problem', () => {
    expect(refused(row({ contactId: 'nope', amount: 0, source: '  ', description: undefined }))).toEqual([
      'Row [2].contactId: must be a uuid',
      'Row [2].amount: must not be zero',
      'Row [2].source: must not be empty',
      'Row [2].description: is required',
    ]);
  });

  it('accepts amounts with up to 4 decimal places, as they were sent', () => {
    for (const amount of [1.5, -0.0001, 12.3456, 2147483646.9999]) {
      const check = checkTransactionRow(row({ amount }), 0, requestTime, 'UTC', parseRow);
      expect(check.ok && check.transaction.amount).toBe(amount);
    }
  });

  it('refuses amounts with more places, out of range or missing, and non-integer definitions', () => {
    expect(refused(row({ amount: 1.00001 }))).toEqual(['Row [2].amount: must have at most 4 decimal places']);
    expect(refused(row({ amount: 2 ** 31 }))).toEqual(['Row [2].amount: must be between -2147483648 and 2147483647']);
    expect(refused(row({ amount: undefined }))).toEqual(['Row [2].amount: is required']);
    expect(refused(row({ amount: '10' }))).toEqual(['Row [2].amount: must be a non-zero number with at most 4 decimal places']);
    expect(refused(row({ definitionId: 0 }))[0]).toMatch(/^Row \[2\]\.definitionId: /);
  });

  it("reads times without an offset, and dates alone, in the tenant's time zone; the row stays as sent", () => {
    const sent = row({ timeStamp: '2026-12-01T12:20:03', validFrom: '2026-12-01', validTo: '2030-01-01' });
    const check = checkTransactionRow(sent, 0, requestTime, 'Europe/Stockholm', parseRow);
    expect(check.ok && check.transaction).toMatchObject({
      transactionDate: '2026-12-01T11:20:03.000Z',
      validFrom: '2026-11-30T23:00:00.000Z',
      validTo: '2029-12-31T23:00:00.000Z',
    });
    expect(check.row).toBe(sent);
  });

  it('refuses times that are in no form it reads, or name no real date', () => {
    const message = (field: string) =>
      `Row [2].${field}: must be an ISO-8601 date-time with an offset (2023-05-16T12:20:03.807Z), without one (2023-05-16T14:20:03, in the tenant's time zone), or a date (2023-05-16)`;
    expect(refused(row({ validFrom: '2030-01-01 00:00' }))).toEqual([message('validFrom')]);
    expect(refused(row({ timeStamp: '2030-02-30' }))).toEqual([message('timeStamp')]);
  });

  it('refuses a validTo that is not after validFrom, given or defaulted', () => {
    expect(refused(row({ validFrom: '2030-02-01T00:00:00Z', validTo: '2030-02-01T00:00:00Z' }))).toEqual([
      'Row [2].validTo: must be after validFrom (2030-02-01T00:00:00.000Z)',
    ]);
    expect(refused(row({ validTo: '2030-01-10T11:00:00Z' }))).toEqual([`Row [2].validTo: must be after validFrom (${NOW.toISOString()})`]);
  });

  it('compares validFrom and validTo as instants whatever offsets they were written with', () => {
    const validFrom = '2030-02-01T02:00:00+02:00'; // 00:00 UTC
    expect(checkTransactionRow(row({ validFrom, validTo: '2030-02-01T01:00:00+00:00' }), 0, requestTime, 'UTC', parseRow).ok).toBe(true);
    expect(refused(row({ validFrom, validTo: '2030-02-01T01:00:00+02:00' }))).toEqual(['Row [2].validTo: must be after validFrom (2030-02-01T00:00:00.000Z)']);
    expect(checkTransactionRow(row({ validFrom: '0999-12-31T23:00:00-02:00', validTo: '1000-01-01T01:30:00Z' }), 0, requestTime, 'UTC', parseRow).ok).toBe(
      true,
    );
  });

  it('refuses rows that are not objects', () => {
    expect(refused(null)).toEqual(['Row [2]: must be an object']);
    expect(refused(42)).toEqual(['Row [2]: must be an object']);
    expect(refused([row({})])).toEqual(['Row [2]: must be an object']);
    expect(refused('a row')).toEqual(['Row [2]: must be an object']);
  });
});

describe('planTransactions', () => {
  const checks = checkTransactionRows(
    [
      row({ contactId: A, definitionId: 1 }),
      row({ amount: 0 }),
      row({ contactId: B, definitionId: 9 }),
      row({ contactId: B, definitionId: 9, amount: 3 }),
      row({ contactId: B, definitionId: 1 }),
    ],
    NOW,
    'UTC',
    parseRow,
  );

  it('lists the ids the well-formed rows need looked up', () => {
    expect(referencedIds(checks)).toEqual({ definitionIds: [1, 9], contactIds: [A, B], externalIds: [], sequences: [] });
  });

  it('refuses rows with unknown definitions, listing each id once', () => {
    const plan = planTransactions(checks, new Set([1]), null);
    expect(plan.accepted.map((t) => t.index)).toEqual([0, 4]);
    expect(plan.notAccepted).toEqual([checks[1]!.row, checks[2]!.row, checks[3]!.row]);
    expect(plan.errorMessages).toEqual([
      'Row [1].amount: must not be zero',
      'Row [2].definitionId: unknown definitionId 9',
      'Row [3].definitionId: unknown definitionId 9',
    ]);
    expect(plan.missingDefinitionIds).toEqual([9]);
    expect(plan.missingContactIds).toEqual([]);
  });

  it('refuses unknown contacts only when the tenant requires known contacts', () => {
    const plan = planTransactions(checks, new Set([1, 9]), new Set([A]));
    expect(plan.accepted.map((t) => t.index)).toEqual([0]);
    expect(plan.missingContactIds).toEqual([B]);
    expect(plan.errorMessages).toContain(`Row [4].contactId: unknown contact ${B}`);
  });

  it('reports both problems of a row with an unknown definition and an unknown contact, and the row once', () => {
    const plan = planTransactions(checkTransactionRows([row({ contactId: B, definitionId: 9 })], NOW, 'UTC', parseRow), new Set([1]), new Set());
    expect(plan.notAccepted).toHaveLength(1);
    expect(plan.errorMessages).toEqual(['Row [0].definitionId: unknown definitionId 9', `Row [0].contactId: unknown contact ${B}`]);
  });
});

describe('accountKeys', () => {
  it('lists each account once, sorted by contact then definition', () => {
    const checks = checkTransactionRows(
      [
        row({ contactId: B, definitionId: 2 }),
        row({ contactId: A, definitionId: 2 }),
        row({ contactId: B, definitionId: 1 }),
        row({ contactId: A, definitionId: 2 }),
      ],
      NOW,
      'UTC',
      parseRow,
    );
    const transactions = checks.flatMap((c) => (c.ok ? [c.transaction] : []));
    expect(accountKeys(transactions)).toEqual([
      { contactId: A, definitionId: 2 },
      { contactId: B, definitionId: 1 },
      { contactId: B, definitionId: 2 },
    ]);
  });
});
