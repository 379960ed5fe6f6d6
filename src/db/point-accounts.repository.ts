import type { Pool } from './pool.ts';

export interface PointAccountRecord {
  id: number;
  contactId: string;
  definitionId: number;
  balance: number;
  pendingPoints: number;
  balanceExpires: Date | null;
}

const COLUMNS = `id, contact_id AS "contactId", definition_id AS "definitionId", balance,
                 0 AS "pendingPoints", NULL::timestamptz AS "balanceExpires"`;

export function pointAccountsRepository(pool: Pool) {
  return {
    async listByContact(tenantId: string, contactId: string, page: { offset: number; count: number }) {
      const [items, total] = await Promise.all([
        pool.query<PointAccountRecord>(
          `SELECT ${COLUMNS} FROM point_account WHERE tenant_id = $1 AND contact_id = $2 ORDER BY definition_id OFFSET $3 LIMIT $4`,
          [tenantId, contactId, page.offset, page.count],
        ),
        pool.query<{ n: number }>(`SELECT count(*) AS n FROM point_account WHERE tenant_id = $1 AND contact_id = $2`, [tenantId, contactId]),
      ]);
      return { items: items.rows, totalCount: total.rows[0]?.n ?? 0 };
    },

    async find(tenantId: string, id: number): Promise<PointAccountRecord | null> {
      const { rows } = await pool.query<PointAccountRecord>(`SELECT ${COLUMNS} FROM point_account WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      return rows[0] ?? null;
    },
  };
}

export type PointAccountsRepository = ReturnType<typeof pointAccountsRepository>;
