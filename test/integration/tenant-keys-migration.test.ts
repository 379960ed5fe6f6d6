// The tenant_keys migration on a database that already holds data: the rows
// that reached their tenant through a parent get it, and nothing is lost.
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
const tenantKeys = migrations.find((name) => name.endsWith('_tenant_keys'))!;
const sqlOf = (name: string) => readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');

const name = `pf_test_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
const db = new pg.Client({ connectionString: databaseUrl(name) });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await db.connect();
  for (const migration of migrations.filter((m) => m < tenantKeys)) await db.query(sqlOf(migration));
});

afterAll(async () => {
  await db.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

/** Two tenants with an account, history, a batch with a message, a user with a session, an adjustment with its webhook and a ledger entry each. */
async function fill(): Promise<string[]> {
  const tenants = [randomUUID(), randomUUID()];
  for (const [n, tenantId] of tenants.entries()) {
    const batchId = randomUUID();
    const userId = randomUUID();
    const adjustmentId = randomUUID();
    await db.query(`INSERT INTO tenant (id, name, mode, updated_at) VALUES ($1, $2, 'all-transaction', now())`, [tenantId, `tenant ${n}`]);
    await db.query(`INSERT INTO point_definition (tenant_id, id, name) VALUES ($1, 1, 'Stars')`, [tenantId]);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO point_account (tenant_id, contact_id, definition_id, balance) VALUES ($1, $2, 1, 5) RETURNING id`,
      [tenantId, randomUUID()],
    );
    const accountId = rows[0]!.id;
    await db.query(`INSERT INTO balance_history (account_id, source, amount, balance, master_time) VALUES ($1, 'UpdateBalance', 5, 5, now())`, [accountId]);
    await db.query(`INSERT INTO ingest_batch (id, tenant_id, kind, item_count, payload) VALUES ($1, $2, 'transactions', 1, '[]')`, [batchId, tenantId]);
    await db.query(`INSERT INTO batch_message (batch_id, message) VALUES ($1, 'Row [0] skipped')`, [batchId]);
    await db.query(`INSERT INTO ui_user (id, tenant_id, username, display_name, password_hash) VALUES ($1, $2, 'anna', 'Anna', 'x')`, [userId, tenantId]);
    await db.query(
      `INSERT INTO ui_session (token_hash, kind, user_id, csrf_token, created_at, last_seen_at, expires_at)
       VALUES ($1, 'user', $2, 'c', now(), now(), now() + interval '1 hour')`,
      [`user-${n}`, userId],
    );
    await db.query(
      `INSERT INTO point_adjustment (id, tenant_id, contact_id, definition_id, amount, description, source, created_at)
       VALUES ($1, $2, $3, 1, 10, 'Welcome', 'Automation', now())`,
      [adjustmentId, tenantId, randomUUID()],
    );
    await db.query(`INSERT INTO webhook_delivery (id, tenant_id, adjustment_id, state, created_at, updated_at) VALUES ($1, $2, $3, 'Pending', now(), now())`, [
      randomUUID(),
      tenantId,
      adjustmentId,
    ]);
    await db.query(
      `INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from)
       VALUES ($1, $2, 'Addition', 5, 'Purchase', 'Row 1', now(), now())`,
      [tenantId, accountId],
    );
  }
  await db.query(
    `INSERT INTO ui_session (token_hash, kind, csrf_token, credential_stamp, created_at, last_seen_at, expires_at)
     VALUES ('admin', 'admin', 'c', 's', now(), now(), now() + interval '1 hour')`,
  );
  return tenants;
}

const counts = async () =>
  (
    await db.query(
      `SELECT (SELECT count(*) FROM balance_history) AS history, (SELECT count(*) FROM batch_message) AS messages, (SELECT count(*) FROM ui_session) AS sessions,
              (SELECT count(*) FROM webhook_delivery) AS deliveries, (SELECT count(*) FROM ledger_entry) AS entries`,
    )
  ).rows[0];

describe(`migration ${tenantKeys}`, () => {
  it('on a database with data, gives the rows already there their tenant and keeps every row and link', async () => {
    const tenants = await fill();
    const before = await counts();
    await db.query(sqlOf(tenantKeys));
    expect(await counts()).toEqual(before);

    const { rows: history } = await db.query(
      `SELECT h.tenant_id = a.tenant_id AS same FROM balance_history h JOIN point_account a ON a.tenant_id = h.tenant_id AND a.id = h.account_id`,
    );
    expect(history).toEqual([{ same: true }, { same: true }]);
    const { rows: messages } = await db.query(
      `SELECT m.tenant_id FROM batch_message m JOIN ingest_batch b ON b.tenant_id = m.tenant_id AND b.id = m.batch_id ORDER BY m.id`,
    );
    expect(messages.map((row) => row.tenant_id)).toEqual(tenants);
    const { rows: sessions } = await db.query(`SELECT token_hash, tenant_id FROM ui_session ORDER BY token_hash`);
    expect(sessions).toEqual([
      { token_hash: 'admin', tenant_id: null },
      { token_hash: 'user-0', tenant_id: tenants[0] },
      { token_hash: 'user-1', tenant_id: tenants[1] },
    ]);
    const { rows: deliveries } = await db.query(
      `SELECT count(*)::int AS n FROM webhook_delivery d JOIN point_adjustment a ON a.tenant_id = d.tenant_id AND a.id = d.adjustment_id`,
    );
    expect(deliveries).toEqual([{ n: 2 }]);

    // The new keys hold: a message cannot name a batch of another tenant.
    const { rows: batches } = await db.query<{ id: string }>(`SELECT id FROM ingest_batch WHERE tenant_id = $1`, [tenants[1]]);
    await expect(db.query(`INSERT INTO batch_message (tenant_id, batch_id, message) VALUES ($1, $2, 'x')`, [tenants[0], batches[0]!.id])).rejects.toMatchObject(
      { code: '23503' },
    );
  });
});
