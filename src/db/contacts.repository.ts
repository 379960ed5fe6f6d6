import type { Db } from './pool.ts';

export interface KnownContactRecord {
  contactId: string;
  createdAt: Date;
}

/** The contact registry: which contacts a tenant that requires known contacts accepts transactions for. */
export function contactsRepository(db: Db) {
  return {
    /** Adds contacts in one statement; re-adding a known one is harmless. */
    async add(tenantId: string, contactIds: readonly string[], now: Date): Promise<{ added: number; alreadyKnown: number }> {
      const unique = [...new Set(contactIds)].sort();
      const { rowCount } = await db.query(
        `INSERT INTO contact (tenant_id, contact_id, created_at) SELECT $1, id, $3 FROM unnest($2::uuid[]) AS id
         ON CONFLICT (tenant_id, contact_id) DO NOTHING`,
        [tenantId, unique, now],
      );
      const added = rowCount ?? 0;
      return { added, alreadyKnown: unique.length - added };
    },

    async list(tenantId: string, page: { offset: number; count: number }): Promise<{ items: KnownContactRecord[]; totalCount: number }> {
      const [items, total] = await Promise.all([
        db.query<KnownContactRecord>(
          `SELECT contact_id AS "contactId", created_at AS "createdAt" FROM contact WHERE tenant_id = $1 ORDER BY contact_id OFFSET $2 LIMIT $3`,
          [tenantId, page.offset, page.count],
        ),
        db.query<{ n: number }>(`SELECT count(*) AS n FROM contact WHERE tenant_id = $1`, [tenantId]),
      ]);
      return { items: items.rows, totalCount: total.rows[0]?.n ?? 0 };
    },

    /** False when the tenant had no such contact. */
    async remove(tenantId: string, contactId: string): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM contact WHERE tenant_id = $1 AND contact_id = $2`, [tenantId, contactId]);
      return rowCount === 1;
    },

    /** Which of these contacts the tenant knows. */
    async known(tenantId: string, contactIds: readonly string[]): Promise<Set<string>> {
      const { rows } = await db.query<{ contact_id: string }>(`SELECT contact_id FROM contact WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[])`, [
        tenantId,
        contactIds,
      ]);
      return new Set(rows.map((row) => row.contact_id));
    },
  };
}
