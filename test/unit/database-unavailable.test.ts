import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/pool.ts';

describe('isDatabaseUnavailable', () => {
  // Found by the fault suite: right after a Postgres restart, API key lookups through Prisma answered 500 instead of 503.
  it('sees Postgres "not yet accepting connections" inside a Prisma error', () => {
    const err = Object.assign(new Error('Invalid `prisma.apiKey.findUnique()` invocation: Database error. Code: `57P03`.'), {
      name: 'PrismaClientKnownRequestError',
      code: 'P2039',
      meta: { modelName: 'ApiKey', driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '57P03', originalMessage: 'the database system is not yet accepting connections' } } },
    });
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('does not take a bug or bad data for an outage', () => {
    const uniqueViolation = Object.assign(new Error('Unique constraint failed'), { code: 'P2002', meta: { driverAdapterError: { cause: { originalCode: '23505' } } } });
    expect(isDatabaseUnavailable(uniqueViolation)).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
  });
});
