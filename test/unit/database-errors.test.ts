import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isUniqueViolation } from '../../src/db/pool.ts';

const pgError = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  // Found by the fault suite: right after a Postgres restart, API key lookups answered 500 instead of 503.
  it('sees Postgres "not yet accepting connections", a shutdown and a refused socket as an outage', () => {
    expect(isDatabaseUnavailable(pgError('the database system is not yet accepting connections', '57P03'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not take a bug or bad data for an outage', () => {
    expect(isDatabaseUnavailable(pgError('duplicate key value violates unique constraint "tenant_name_key"', '23505'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    // A statement sent more parameters than it names: a 500 to fix, not a 503 to retry (a paged list once did this).
    expect(isDatabaseUnavailable(pgError('bind message supplies 3 parameters, but prepared statement "" requires 2', '08P01'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('connection failure', '08006'))).toBe(true);
  });
});

describe('isUniqueViolation', () => {
  it('is true for SQLSTATE 23505 only', () => {
    expect(isUniqueViolation(pgError('duplicate key value violates unique constraint "tenant_name_key"', '23505'))).toBe(true);
    expect(isUniqueViolation(pgError('null value in column "name" violates not-null constraint', '23502'))).toBe(false);
    expect(isUniqueViolation(new Error('no code'))).toBe(false);
  });
});
