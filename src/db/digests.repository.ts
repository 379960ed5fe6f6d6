import type { TenantMode } from '../domain/tenants.ts';
import type { RangeDigest } from '../domain/digests.ts';
import type { Db } from './pool.ts';
import { followerAsOf } from './reconciliations.repository.ts';

/**
 * The accounts of tenant $1 with a non-zero balance as of $3, in the ranges
 * named by the prefixes $2 (all of length $4), each with the range it falls in
 * at prefix length $5. The balance is the reconciliation compare's own
 * (followerAsOf), so a digest and a compare can never disagree about a figure.
 * $6 and $7 bound the contact ids, so the account scans can use the index.
 */
const inRanges = (mode: TenantMode) => `
WITH follower AS (${followerAsOf[mode]}
), wanted AS (
  SELECT DISTINCT p AS prefix FROM unnest($2::text[]) AS p
), account AS (
  SELECT f.contact_id, f.definition_id, f.balance, substr(replace(f.contact_id::text, '-', ''), 1, $5::int) AS range
    FROM follower f
    JOIN wanted w ON w.prefix = substr(replace(f.contact_id::text, '-', ''), 1, $4::int)
   WHERE f.balance <> 0 AND f.contact_id BETWEEN $6::uuid AND $7::uuid
)`;

/**
 * The hash of the spec: the first 8 bytes of SHA-256 over
 * "contactId|definitionId|balance", the balance with exactly 4 decimals, read
 * as a signed 64-bit integer; summed as numeric and wrapped into 64 bits, then
 * written as 16 hex digits (to_hex of a negative bigint is its two's complement).
 */
const digestSql = (mode: TenantMode) => `${inRanges(mode)}, hashed AS (
  SELECT a.range,
         ('x' || left(encode(sha256(convert_to(a.contact_id::text || '|' || a.definition_id::text || '|' || a.balance::numeric(40, 4)::text, 'UTF8')), 'hex'), 16))
           ::bit(64)::bigint AS h
    FROM account a
)
SELECT range AS prefix, count(*)::int AS count,
       lpad(to_hex(((sum(h::numeric) % 18446744073709551616 + 18446744073709551616 + 9223372036854775808) % 18446744073709551616
                    - 9223372036854775808)::bigint), 16, '0') AS hash
  FROM hashed GROUP BY range ORDER BY range`;

/** Ranges of one length, named by their prefixes, and the lowest and highest contact id in them. */
interface Ranges {
  prefixes: string[];
  low: string;
  high: string;
}

/** Digests of ranges of a tenant's contact id space, and the accounts in ranges, as of a moment (read only). */
export function digestsRepository(db: Db) {
  async function run<Row extends object>(sql: string, tenantId: string, asOf: string, ranges: Ranges, rangeLength: number) {
    // As for the compare: planning this with JIT costs more than running it.
    await db.query('SET LOCAL jit = off');
    return db.query<Row>(sql, [tenantId, ranges.prefixes, asOf, ranges.prefixes[0]!.length, rangeLength, ranges.low, ranges.high]);
  }

  return {
    /** Each range of length prefix + depth below the ranges that holds an account; in the caller's transaction. */
    async digest(tenantId: string, mode: TenantMode, asOf: string, ranges: Ranges, depth: number): Promise<RangeDigest[]> {
      const { rows } = await run<RangeDigest>(digestSql(mode), tenantId, asOf, ranges, ranges.prefixes[0]!.length + depth);
      return rows;
    },

    /** The accounts in the ranges, by contact and definition, at most `limit` of them; in the caller's transaction. */
    async accounts(tenantId: string, mode: TenantMode, asOf: string, ranges: Ranges, limit: number): Promise<{ contactId: string; definitionId: number }[]> {
      const { rows } = await run<{ contactId: string; definitionId: number }>(
        `${inRanges(mode)} SELECT a.contact_id AS "contactId", a.definition_id AS "definitionId" FROM account a ORDER BY 1, 2 LIMIT ${Number(limit)}`,
        tenantId,
        asOf,
        ranges,
        ranges.prefixes[0]!.length,
      );
      return rows;
    },
  };
}
