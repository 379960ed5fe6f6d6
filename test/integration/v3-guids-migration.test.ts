// The v3_guids migration on a database that already holds accounts and ledger entries: each gets its own GUID.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, TEST_POSTGRES_URL } from '../support/env.ts';

const migrationsDir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
const migrations = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const v3Guids = migrations.find((name) => name.endsWith('_v3_guids'))!;
const sqlOf = (name: string) => readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');

const name = `pf_test_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
const db = new pg.Client({ connectionString: databaseUrl(name) });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await db.connect();
  for (const migration of migrations.filter((m) => m < v3Guids)) await db.query(sqlOf(migration));
});

afterAll(async () => {
  await db.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('the v3_guids migration', () => {
  it('gives every account and ledger entry already there its own GUID, and new rows one by default', async () => {
    const tenantId = randomUUID();
    await db.query(`INSERT INTO tenant (id, name, name_key, mode, updated_at) VALUES ($1, 'before v3', 'before v3', 'all-transaction', now())`, [tenantId]);
    for (const contactId of [randomUUID(), randomUUID(), randomUUID()]) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO point_account (tenant_id, contact_id, definition_id, balance) VALUES ($1, $2, 1, 0) RETURNING id`,
        [tenantId, contactId],
      );
      for (const amount of [5, 7]) {
        await db.query(
          `INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from)
           VALUES ($1, $2, 'Addition', $3, 'Purchase', 'before v3', now(), now())`,
          [tenantId, rows[0]!.id, amount],
        );
      }
    }

    await db.query(sqlOf(v3Guids));

    const guidsOf = async (table: string) =>
      (await db.query<{ guid: string }>(`SELECT guid::text FROM ${table} WHERE tenant_id = $1`, [tenantId])).rows.map((r) => r.guid);
    const accounts = await guidsOf('point_account');
    const entries = await guidsOf('ledger_entry');
    expect(accounts).toHaveLength(3);
    expect(entries).toHaveLength(6);
    expect(new Set([...accounts, ...entries]).size).toBe(9);
    const { rows } = await db.query<{ guid: string }>(
      `INSERT INTO point_account (tenant_id, contact_id, definition_id) VALUES ($1, $2, 1) RETURNING guid::text`,
      [tenantId, randomUUID()],
    );
    expect(rows[0]!.guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(accounts).not.toContain(rows[0]!.guid);
  });
});
