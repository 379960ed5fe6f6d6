import type { TenantMode } from '../contracts/admin.ts';
import { accountSummaryJoin } from './ledger.repository.ts';
import type { Pool } from './pool.ts';

export interface PointAccountRecord {
  id: number;
  contactId: string;
  definitionId: number;
  balance: number;
  pendingPoints: number;
  balanceExpires: Date | null;
}

/**
 * Per mode: balance-only accounts hold the master's balance (nothing pending,
 * nothing expiring); all-transaction accounts derive all three from the ledger
 * at the time of reading, so pending points turn active and points expire on
 * time without anything having to run.
 */
const columns: Record<TenantMode, { select: string; join: (at: string) => string; readsClock: boolean }> = {
  'balance-only': {
    select: `a.id, a.contact_id AS "contactId", a.definition_id AS "definitionId", a.balance,
             0 AS "pendingPoints", NULL::timestamptz AS "balanceExpires"`,
    join: () => '',
    readsClock: false,
  },
  'all-transaction': {
    select: `a.id, a.contact_id AS "contactId", a.definition_id AS "definitionId", s.balance,
             s.pending AS "pendingPoints", s.expires AS "balanceExpires"`,
    join: accountSummaryJoin,
    readsClock: true,
  },
};

export function pointAccountsRepository(pool: Pool) {
  return {
    async listByContact(tenant: { id: string; mode: TenantMode }, contactId: string, page: { offset: number; count: number }, now: Date) {
      const { select, join, readsClock } = columns[tenant.mode];
      const [items, total] = await Promise.all([
        pool.query<PointAccountRecord>(
          `SELECT ${select} FROM point_account a ${join('$5::timestamptz')}
            WHERE a.tenant_id = $1 AND a.contact_id = $2 ORDER BY a.definition_id OFFSET $3 LIMIT $4`,
          [tenant.id, contactId, page.offset, page.count, ...(readsClock ? [now] : [])],
        ),
        pool.query<{ n: number }>(`SELECT count(*) AS n FROM point_account WHERE tenant_id = $1 AND contact_id = $2`, [tenant.id, contactId]),
      ]);
      return { items: items.rows, totalCount: total.rows[0]?.n ?? 0 };
    },

    async find(tenant: { id: string; mode: TenantMode }, id: number, now: Date): Promise<PointAccountRecord | null> {
      const { select, join, readsClock } = columns[tenant.mode];
      const { rows } = await pool.query<PointAccountRecord>(
        `SELECT ${select} FROM point_account a ${join('$3::timestamptz')} WHERE a.tenant_id = $1 AND a.id = $2`,
        [tenant.id, id, ...(readsClock ? [now] : [])],
      );
      return rows[0] ?? null;
    },
  };
}

export type PointAccountsRepository = ReturnType<typeof pointAccountsRepository>;
