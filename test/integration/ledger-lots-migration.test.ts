// The ledger_lots migration on a database that already holds ledgers kept by the old rule (the balance was the
// plain sum of active entries): every account is replayed as lots, its Expiry entries say what really expired, and
// the accounts whose figures moved are reported with both figures.
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
const ledgerLots = migrations.find((name) => name.endsWith('_ledger_lots'))!;
const sqlOf = (name: string) => readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');

const name = `pf_test_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
const db = new pg.Client({ connectionString: databaseUrl(name) });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await db.connect();
  for (const migration of migrations.filter((m) => m < ledgerLots)) await db.query(sqlOf(migration));
});

afterAll(async () => {
  await db.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

describe('migration ledger_lots', () => {
  it('replays every ledger as lots, rewrites what expired, and reports the accounts whose figures moved', async () => {
    const tenantId = randomUUID();
    await db.query(`INSERT INTO tenant (id, name, name_key, mode, updated_at) VALUES ($1, 'shop', 'shop', 'all-transaction', now())`, [tenantId]);
    const account = async () =>
      (
        await db.query<{ id: string }>(`INSERT INTO point_account (tenant_id, contact_id, definition_id) VALUES ($1, $2, 1) RETURNING id`, [
          tenantId,
          randomUUID(),
        ])
      ).rows[0]!.id;
    const entry = async (accountId: string, amount: number, from: Date, to: Date | null, lapsed = false) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, lapse_recorded, settled)
           VALUES ($1, $2, $3, $4, 'Purchase', 'row', $5, $5, $6, $7, $7) RETURNING id`,
          [tenantId, accountId, amount > 0 ? 'Addition' : 'Deduction', amount, from, to, lapsed],
        )
      ).rows[0]!.id;

    // Spent 30 of a lot that expired afterwards: the old rule showed -30 and had written an Expiry entry of 100.
    const spent = await account();
    const lot = await entry(spent, 100, ago(10), ago(1), true);
    await entry(spent, -30, ago(5), null);
    await db.query(
      `INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, expires_entry_id, lapse_recorded, settled)
       VALUES ($1, $2, 'Expiry', -100, 'Expiry', 'old', $3, $3, $4, true, true)`,
      [tenantId, spent, ago(1), lot],
    );
    // Nothing spent, nothing expired: the same under both rules.
    const plain = await account();
    await entry(plain, 50, ago(3), null);
    await entry(plain, 20, ago(3), new Date(Date.now() + 10 * DAY));

    await db.query(sqlOf(ledgerLots));

    const { rows: changes } = await db.query(
      `SELECT account_id::text, balance_before::float8, balance_after::float8, pending_before::float8, pending_after::float8 FROM ledger_rule_change`,
    );
    expect(changes).toEqual([{ account_id: spent, balance_before: -30, balance_after: 0, pending_before: 0, pending_after: 0 }]);

    const { rows: expiries } = await db.query(`SELECT account_id::text, amount::float8, description FROM ledger_entry WHERE type = 'Expiry'`);
    expect(expiries).toEqual([{ account_id: spent, amount: -70, description: `70 points of transaction ${lot} expired` }]);

    const figures = async (accountId: string) =>
      (await db.query(`SELECT balance::float8, pending::float8 FROM ledger_walk($1, ARRAY[$2::bigint], ARRAY[now()])`, [tenantId, accountId])).rows[0];
    expect(await figures(spent)).toEqual({ balance: 0, pending: 0 });
    expect(await figures(plain)).toEqual({ balance: 70, pending: 0 });
    const { rows: checkpoints } = await db.query(`SELECT count(*)::int AS n FROM ledger_checkpoint WHERE tenant_id = $1`, [tenantId]);
    expect(checkpoints[0].n).toBe(2);
  });
});
