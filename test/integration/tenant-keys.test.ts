// The schema can be split by tenant: every tenant-owned table carries
// tenant_id, and its primary key, its unique keys, its indexes and its foreign
// keys to other tenant-owned tables lead with or include it (docs/scaling.md,
// "Splitting tenants"). Read from the catalog of the migrated database.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';

/** Tables that are not tenant-owned, with why. */
const DIRECTORY_TABLES: Record<string, string> = {
  tenant: 'the tenant directory itself: every cell (or every node of a distributed Postgres) holds all of it',
  ui_login_throttle: 'sign-in counters per address and per typed tenant name, counted before any tenant is known; part of the directory',
  _prisma_migrations: 'migration bookkeeping, one per database',
};

/**
 * Keys and indexes of tenant-owned or directory tables that break the rule on
 * purpose, by name, with why. Cross-tenant sweeps run over every tenant a
 * database holds; split by tenant, each cell (or node) runs them over its own.
 */
const EXCEPTIONS: Record<string, string> = {
  api_key_key_hash_key:
    'the key is how a request’s tenant is learned, so its hash is unique across all tenants; api_key is part of the directory and keeps the API key format',
  ui_session_pkey: 'a session is found by its cookie’s token before its tenant is known; ui_session is part of the directory',
  'ui_session.tenant_id': 'admin sessions belong to no tenant',
  ui_session_expires_at_idx: 'the cleanup deletes expired sessions of every tenant',
  ingest_batch_status_created_at_idx: 'the recovery sweep finds unfinished batches of every tenant',
  webhook_delivery_state_next_attempt_at_idx: 'the delivery sweep finds due webhooks of every tenant',
  balance_event_state_next_attempt_at_idx: 'the events sweep finds due subscriber events of every tenant',
  idempotency_key_expires_at_idx: 'the cleanup deletes expired Idempotency-Keys of every tenant',
  reconciliation_status_status_at_idx: 'the recovery sweep finds compares left unfinished by any tenant',
  point_account_contact_id_tenant_id_definition_id_key:
    'includes tenant_id as its second column, so the primary key is the only index a foreign key check of a tenant the planner has not seen can take',
  point_account_guid_tenant_id_key: 'includes tenant_id as its second column, for the same reason as the contact key',
};

interface Allowed {
  directoryTables: Record<string, string>;
  exceptions: Record<string, string>;
}

/** Every table, key or index of the database's public schema that breaks the tenant-key rule, one sentence each. */
async function tenantKeyViolations(db: pg.Client, allowed: Allowed): Promise<string[]> {
  const { rows: tables } = await db.query<{ name: string; oid: number; tenant_attnum: number | null; tenant_not_null: boolean | null }>(
    `SELECT c.relname AS name, c.oid, a.attnum AS tenant_attnum, a.attnotnull AS tenant_not_null
       FROM pg_class c
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
  );
  const owned = new Map(tables.filter((t) => !(t.name in allowed.directoryTables)).map((t) => [t.oid, t]));
  const violations: string[] = [];
  for (const table of owned.values()) {
    if (table.tenant_attnum === null) violations.push(`${table.name}: no tenant_id column`);
    else if (!table.tenant_not_null && !(`${table.name}.tenant_id` in allowed.exceptions)) violations.push(`${table.name}: tenant_id may be null`);
  }

  // Primary keys and every other index, unique or not: the first key column must be tenant_id.
  const { rows: indexes } = await db.query<{ table_oid: number; name: string; is_primary: boolean; is_unique: boolean; first_column: string | null }>(
    `SELECT i.indrelid AS table_oid, x.relname AS name, i.indisprimary AS is_primary, i.indisunique AS is_unique, a.attname AS first_column
       FROM pg_index i
       JOIN pg_class x ON x.oid = i.indexrelid
       LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] AND i.indkey[0] <> 0
      WHERE x.relnamespace = 'public'::regnamespace
      ORDER BY x.relname`,
  );
  for (const table of owned.values()) {
    if (!indexes.some((index) => index.table_oid === table.oid && index.is_primary)) violations.push(`${table.name}: no primary key`);
  }
  for (const index of indexes) {
    const table = owned.get(index.table_oid);
    if (!table || index.first_column === 'tenant_id' || index.name in allowed.exceptions) continue;
    const what = index.is_primary ? 'primary key' : index.is_unique ? 'unique index' : 'index';
    violations.push(`${table.name}: ${what} ${index.name} leads with ${index.first_column ?? 'an expression'}, not tenant_id`);
  }

  // A foreign key to another tenant-owned table must match tenant_id to tenant_id.
  const { rows: foreignKeys } = await db.query<{ table_oid: number; target_oid: number; name: string; pairs: string[] }>(
    `SELECT k.conrelid AS table_oid, k.confrelid AS target_oid, k.conname AS name,
            array(SELECT f.attname || '=' || t.attname
                    FROM unnest(k.conkey, k.confkey) AS p(own, other)
                    JOIN pg_attribute f ON f.attrelid = k.conrelid AND f.attnum = p.own
                    JOIN pg_attribute t ON t.attrelid = k.confrelid AND t.attnum = p.other) AS pairs
       FROM pg_constraint k
      WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace
      ORDER BY k.conname`,
  );
  for (const key of foreignKeys) {
    const table = owned.get(key.table_oid);
    const target = owned.get(key.target_oid);
    if (!table || !target || key.pairs.includes('tenant_id=tenant_id') || key.name in allowed.exceptions) continue;
    violations.push(`${table.name}: foreign key ${key.name} to ${target.name} does not match tenant_id to tenant_id`);
  }
  return violations;
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

const allowed: Allowed = { directoryTables: DIRECTORY_TABLES, exceptions: EXCEPTIONS };

describe('tenant keys in the migrated schema', () => {
  it('every tenant-owned table, key and index leads with tenant_id, apart from the exceptions listed with their reasons', async () => {
    expect(await tenantKeyViolations(client, allowed)).toEqual([]);
  });

  it('every allowed exception still names a table, key, index or column of the schema', async () => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace
       UNION ALL SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                  WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0`,
    );
    const names = new Set(rows.map((row) => row.name));
    expect([...Object.keys(DIRECTORY_TABLES), ...Object.keys(EXCEPTIONS)].filter((name) => !names.has(name))).toEqual([]);
  });

  it('reports a table, key, index or foreign key that breaks the rule', async () => {
    await client.query(`
      CREATE TABLE probe_plain (id uuid PRIMARY KEY, note text);
      CREATE TABLE probe_parent (tenant_id uuid NOT NULL, id uuid NOT NULL, note text, PRIMARY KEY (tenant_id, id), UNIQUE (id));
      CREATE INDEX probe_parent_note_idx ON probe_parent (note);
      CREATE INDEX probe_parent_lower_note_idx ON probe_parent (lower(note));
      CREATE TABLE probe_child (tenant_id uuid, parent_id uuid NOT NULL REFERENCES probe_parent (id), id bigint, PRIMARY KEY (parent_id, id));
      CREATE TABLE probe_keyless (tenant_id uuid NOT NULL, note text);
    `);
    expect((await tenantKeyViolations(client, allowed)).sort()).toEqual(
      [
        'probe_plain: no tenant_id column',
        'probe_plain: primary key probe_plain_pkey leads with id, not tenant_id',
        'probe_parent: unique index probe_parent_id_key leads with id, not tenant_id',
        'probe_parent: index probe_parent_note_idx leads with note, not tenant_id',
        'probe_parent: index probe_parent_lower_note_idx leads with an expression, not tenant_id',
        'probe_child: tenant_id may be null',
        'probe_child: primary key probe_child_pkey leads with parent_id, not tenant_id',
        'probe_child: foreign key probe_child_parent_id_fkey to probe_parent does not match tenant_id to tenant_id',
        'probe_keyless: no primary key',
      ].sort(),
    );
  });
});
