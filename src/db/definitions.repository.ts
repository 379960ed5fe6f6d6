import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';

export interface DefinitionRecord {
  id: number;
  name: string;
  description: string | null;
}

const DEFINITION_COLUMNS = 'id, name, description';

/** Point definitions; their ids are chosen by the operator, as in Engage. */
export function definitionsRepository(db: Db) {
  return {
    async create(tenantId: string, input: { id: number; name: string; description?: string | undefined }): Promise<DefinitionRecord> {
      const { rows } = await db.query<DefinitionRecord>(
        `INSERT INTO point_definition (tenant_id, id, name, description) VALUES ($1, $2, $3, $4) RETURNING ${DEFINITION_COLUMNS}`,
        [tenantId, input.id, input.name, input.description ?? null],
      );
      return rows[0]!;
    },

    async list(tenantId: string, page: PageRequest): Promise<DefinitionRecord[]> {
      const { rows } = await db.query<DefinitionRecord>(
        `SELECT ${DEFINITION_COLUMNS} FROM point_definition WHERE tenant_id = $1 ORDER BY id OFFSET $2 LIMIT $3`,
        [tenantId, page.offset, page.count],
      );
      return rows;
    },

    /** One page of the definitions and how many there are in all. */
    page: (tenantId: string, page: PageRequest): Promise<Page<DefinitionRecord>> =>
      pageOf<DefinitionRecord>(db, { columns: DEFINITION_COLUMNS, from: 'point_definition WHERE tenant_id = $1', orderBy: 'id' }, [tenantId], page),

    async find(tenantId: string, id: number): Promise<DefinitionRecord | null> {
      const { rows } = await db.query<DefinitionRecord>(`SELECT ${DEFINITION_COLUMNS} FROM point_definition WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      return rows[0] ?? null;
    },

    /** Which of these definition ids the tenant has. */
    async known(tenantId: string, ids: readonly number[]): Promise<Set<number>> {
      const { rows } = await db.query<{ id: number }>(`SELECT id FROM point_definition WHERE tenant_id = $1 AND id = ANY($2::int[])`, [tenantId, ids]);
      return new Set(rows.map((row) => row.id));
    },
  };
}
