import { randomUUID } from 'node:crypto';
import type { Db } from './pool.ts';

/** What a request finds under its Idempotency-Key: the key, or the request that holds it. */
export type KeyClaim = { claimed: true; token: string } | { claimed: false; requestHash: string; response: unknown };

export function idempotencyRepository(db: Db) {
  return {
    /**
     * Takes the key for this request in one statement, so two requests racing
     * for a key cannot both get it. A key past its expiry, or a claim made
     * before `staleBefore` whose request died before answering, is taken over.
     * Otherwise answers what holds the key.
     */
    async claim(claim: { tenantId: string; key: string; requestHash: string; now: Date; expiresAt: Date; staleBefore: Date }): Promise<KeyClaim> {
      const token = randomUUID();
      // The cleanup may delete the row between the two statements; claiming again then succeeds.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const claimed = await db.query(
          `INSERT INTO idempotency_key AS k (tenant_id, key, request_hash, claim_token, claimed_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (tenant_id, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, claim_token = EXCLUDED.claim_token, claimed_at = EXCLUDED.claimed_at,
                  expires_at = EXCLUDED.expires_at, response = NULL, batch_id = NULL
            WHERE k.expires_at <= EXCLUDED.claimed_at OR (k.response IS NULL AND k.claimed_at <= $7)
           RETURNING claim_token`,
          [claim.tenantId, claim.key, claim.requestHash, token, claim.now, claim.expiresAt, claim.staleBefore],
        );
        if (claimed.rowCount === 1) return { claimed: true, token };
        const { rows } = await db.query<{ requestHash: string; response: unknown }>(
          `SELECT request_hash AS "requestHash", response FROM idempotency_key WHERE tenant_id = $1 AND key = $2`,
          [claim.tenantId, claim.key],
        );
        if (rows[0]) return { claimed: false, ...rows[0] };
      }
      throw new Error(`Could not claim idempotency key ${claim.key}`);
    },

    /**
     * Stores the answer under the key, in the transaction that stores what the request did (a batch, an adjustment):
     * either both are committed or neither. False when the claim was taken over
     * meanwhile (the lease ran out), so the caller must roll back.
     */
    async complete(claim: { tenantId: string; key: string; token: string }, answer: { response: unknown; batchId: string | null }): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE idempotency_key SET response = $4::json, batch_id = $5 WHERE tenant_id = $1 AND key = $2 AND claim_token = $3 AND response IS NULL`,
        [claim.tenantId, claim.key, claim.token, JSON.stringify(answer.response), answer.batchId],
      );
      return rowCount === 1;
    },

    /** Lets a retry go ahead after the request holding the key failed without answering. */
    async release(tenantId: string, key: string, token: string): Promise<void> {
      await db.query(`DELETE FROM idempotency_key WHERE tenant_id = $1 AND key = $2 AND claim_token = $3 AND response IS NULL`, [tenantId, key, token]);
    },

    /**
     * Forgets keys past their 24 h, in bounded chunks so a large backlog never holds one long transaction.
     * Cross-tenant maintenance, served by the (expires_at) index.
     */
    async deleteExpired(now: Date, chunk = 5000): Promise<number> {
      let total = 0;
      for (;;) {
        const { rowCount } = await db.query(
          `DELETE FROM idempotency_key WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_key WHERE expires_at <= $1 LIMIT $2))`,
          [now, chunk],
        );
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < chunk) return total;
      }
    },
  };
}
