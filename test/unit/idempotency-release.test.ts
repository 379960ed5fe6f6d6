import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import type { TenantRecord } from '../../src/domain/tenants.ts';
import { underIdempotencyKey } from '../../src/services/idempotency.ts';

const unavailable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/**
 * Found by the fault suite: a transactions POST whose key was claimed just
 * before Postgres crashed could not release it, and the master's retries met
 * 409 for the whole 60 s lease after Postgres was back. This checks the
 * release is tried again until Postgres answers; the repository is replaced
 * because the point is what the service does when Postgres is gone.
 */
describe('an Idempotency-Key held by a request that failed while Postgres was down', () => {
  it('is released as soon as Postgres answers again', async () => {
    const releases: string[] = [];
    const db = {
      idempotency: {
        claim: () => Promise.resolve({ claimed: true, token: 't1' }),
        release: (_tenantId: string, key: string) => {
          releases.push(key);
          return releases.length < 3 ? Promise.reject(unavailable()) : Promise.resolve();
        },
      },
    } as unknown as Database;
    const tenant = { id: 'tenant-1' } as TenantRecord;
    const failed = underIdempotencyKey(
      { db, log: pino({ level: 'silent' }) },
      { tenant, key: 'k1', request: { a: 1 }, now: new Date() },
      () => Promise.reject(unavailable()),
      () => 'replayed',
    );
    await expect(failed).rejects.toThrow('ECONNREFUSED');
    await expect.poll(() => releases.length, { timeout: 5000 }).toBe(3);
  });
});
