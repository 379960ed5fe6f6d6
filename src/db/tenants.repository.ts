import { randomUUID } from 'node:crypto';
import type { TenantUpdate } from '../contracts/admin.ts';
import type { ExpiryOwner, TenantMode, TenantRecord } from '../domain/tenants.ts';
import type { Db } from './pool.ts';

/** A tenant row `t` as a TenantRecord; the mode column holds the enum's mapped names, which are TenantMode's own. */
export const TENANT_COLUMNS = `t.id, t.name, t.mode::text AS mode, t.point_system_active AS "pointSystemActive", t.require_known_contacts AS "requireKnownContacts",
  t.default_definition_id AS "defaultDefinitionId", t.time_zone AS "timeZone", t.max_adjustment_points AS "maxAdjustmentPoints",
  t.expected_push_minutes AS "expectedPushMinutes", t.expiry::text AS expiry`;

type TenantRow = Omit<TenantRecord, 'defaultDefinitionId' | 'expectedPushMinutes'> & {
  defaultDefinitionId: number | null;
  expectedPushMinutes: number | null;
};

/** A row of TENANT_COLUMNS as a TenantRecord: an unset setting is left out rather than null. */
export const tenantRecord = ({ defaultDefinitionId, expectedPushMinutes, ...row }: TenantRow): TenantRecord => ({
  ...row,
  ...(defaultDefinitionId === null ? {} : { defaultDefinitionId }),
  ...(expectedPushMinutes === null ? {} : { expectedPushMinutes }),
});

export function tenantsRepository(db: Db) {
  return {
    /** `nameKey` is the name's key (domain/tenants.ts tenantNameKey), unique among tenants. */
    async create(
      input: { name: string; nameKey: string; mode: TenantMode; pointSystemActive: boolean; requireKnownContacts: boolean },
      now: Date,
    ): Promise<TenantRecord> {
      const { rows } = await db.query<TenantRow>(
        `INSERT INTO tenant AS t (id, name, name_key, mode, point_system_active, require_known_contacts, updated_at)
         VALUES ($1, $2, $7, $3, $4, $5, $6) RETURNING ${TENANT_COLUMNS}`,
        [randomUUID(), input.name, input.mode, input.pointSystemActive, input.requireKnownContacts, now, input.nameKey],
      );
      return tenantRecord(rows[0]!);
    },

    async find(id: string): Promise<TenantRecord | null> {
      const { rows } = await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenant t WHERE t.id = $1`, [id]);
      return rows[0] ? tenantRecord(rows[0]) : null;
    },

    /** The name of a tenant (other than `exceptId`) whose name has this key, or null. */
    async nameTakenBy(nameKey: string, exceptId: string | null = null): Promise<string | null> {
      const { rows } = await db.query<{ name: string }>(`SELECT name FROM tenant WHERE name_key = $1 AND id IS DISTINCT FROM $2 LIMIT 1`, [nameKey, exceptId]);
      return rows[0]?.name ?? null;
    },

    async list(): Promise<TenantRecord[]> {
      return (await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenant t ORDER BY t.created_at, t.id`)).rows.map(tenantRecord);
    },

    async ids(): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM tenant ORDER BY id`);
      return rows.map((row) => row.id);
    },

    /**
     * The tenant's mode, holding its row until the transaction ends: batches
     * are stored only after reading that row FOR SHARE, so none can be stored
     * meanwhile.
     */
    async lockSettings(id: string): Promise<{ mode: TenantMode; expiry: ExpiryOwner } | null> {
      const { rows } = await db.query<{ mode: TenantMode; expiry: ExpiryOwner }>(
        `SELECT mode::text AS mode, expiry::text AS expiry FROM tenant WHERE id = $1 FOR NO KEY UPDATE`,
        [id],
      );
      return rows[0] ?? null;
    },

    /**
     * The tenant's mode, reading its row FOR SHARE until the transaction ends:
     * a settings change (which holds the row FOR NO KEY UPDATE) waits for this
     * transaction, or commits first and this read sees its outcome.
     */
    async holdMode(id: string): Promise<TenantMode | null> {
      const { rows } = await db.query<{ mode: TenantMode }>(`SELECT mode::text AS mode FROM tenant WHERE id = $1 FOR SHARE`, [id]);
      return rows[0]?.mode ?? null;
    },

    /** `update.name` goes with its key (domain/tenants.ts tenantNameKey); a renamed tenant leaves any clash it was part of. */
    async updateSettings(id: string, update: TenantUpdate & { nameKey?: string }, now: Date): Promise<TenantRecord> {
      const { rows } = await db.query<TenantRow>(
        `UPDATE tenant AS t SET mode = COALESCE($2::tenant_mode, mode), point_system_active = COALESCE($3, point_system_active),
                                require_known_contacts = COALESCE($4, require_known_contacts), updated_at = $5,
                                default_definition_id = CASE WHEN $6 THEN $7::int ELSE default_definition_id END,
                                time_zone = COALESCE($8, time_zone),
                                max_adjustment_points = COALESCE($9, max_adjustment_points),
                                expected_push_minutes = CASE WHEN $10 THEN $11::int ELSE expected_push_minutes END,
                                expiry = COALESCE($12::expiry_owner, expiry),
                                name = COALESCE($13, name), name_key = COALESCE($14, name_key),
                                clash_rank = CASE WHEN $13::text IS NULL THEN clash_rank ELSE 0 END
          WHERE id = $1
          RETURNING ${TENANT_COLUMNS}`,
        [
          id,
          update.mode ?? null,
          update.pointSystemActive ?? null,
          update.requireKnownContacts ?? null,
          now,
          update.defaultDefinitionId !== undefined,
          update.defaultDefinitionId ?? null,
          update.timeZone ?? null,
          update.maxAdjustmentPoints ?? null,
          update.expectedPushMinutes !== undefined,
          update.expectedPushMinutes ?? null,
          update.expiry ?? null,
          update.name ?? null,
          update.nameKey ?? null,
        ],
      );
      return tenantRecord(rows[0]!);
    },
  };
}

export type TenantsRepository = ReturnType<typeof tenantsRepository>;
