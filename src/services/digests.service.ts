import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { DIGEST_LIMITS, prefixBounds } from '../domain/digests.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError } from '../errors.ts';

/**
 * The follower's side of the digest exchange (docs/sync-assurance.md): hashes
 * of ranges of the contact id space as of a moment, and the accounts of the
 * ranges a master found different. Read only; both modes.
 */
const rangesOf = (prefixes: string[]) => ({ prefixes, ...prefixBounds(prefixes) });

export function digestsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  function ensureNotFuture(asOf: string): void {
    const now = clock.now();
    if (new Date(asOf) > now) {
      throw new AppError('validation', 'asOf is in the future', [
        { path: 'asOf', message: `must not be after the time of the request (${now.toISOString()})` },
      ]);
    }
  }

  return {
    async digest(tenant: TenantRecord, input: { asOf: string; prefixes: string[]; depth: number }) {
      ensureNotFuture(input.asOf);
      const ranges = await db.transaction((tx) => tx.digests.digest(tenant.id, tenant.mode, input.asOf, rangesOf(input.prefixes), input.depth));
      return { asOf: input.asOf, ranges };
    },

    async accounts(tenant: TenantRecord, input: { asOf: string; prefixes: string[] }) {
      ensureNotFuture(input.asOf);
      const items = await db.transaction((tx) =>
        tx.digests.accounts(tenant.id, tenant.mode, input.asOf, rangesOf(input.prefixes), DIGEST_LIMITS.maxAccounts + 1),
      );
      if (items.length > DIGEST_LIMITS.maxAccounts) {
        throw new AppError('validation', `The ranges hold more than ${DIGEST_LIMITS.maxAccounts} accounts; ask for the digests of narrower ranges first`, [
          { path: 'prefixes', message: `must name ranges holding at most ${DIGEST_LIMITS.maxAccounts} accounts together` },
        ]);
      }
      return { items };
    },
  };
}

export type DigestsService = ReturnType<typeof digestsService>;
