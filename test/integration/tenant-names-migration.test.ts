// The one_name_per_tenant migration on a database whose tenant names already
// clash: it reports the clash, keeps both tenants working, and an operator's
// rename settles it.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/domain/passwords.ts';
import { databaseUrl, TEST_POSTGRES_URL } from '../support/env.ts';
import { ADMIN_TOKEN, startSystem, type TestSystem } from '../support/system.ts';
import { cookieOf, postLogin } from '../support/ui.ts';

const migrationsDir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
const migrations = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const oneName = migrations.find((name) => name.endsWith('_one_name_per_tenant'))!;
const sqlOf = (name: string) => readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');

const name = `pf_test_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
const db = new pg.Client({ connectionString: databaseUrl(name) });
const notices: string[] = [];
const tenants = [
  { id: randomUUID(), name: 'Acme-Shop', password: 'first-password-0001' },
  { id: randomUUID(), name: 'ACME-SHOP', password: 'second-password-0002' },
  { id: randomUUID(), name: 'other-shop', password: 'third-password-0003' },
];
let system: TestSystem;

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await db.connect();
  db.on('notice', (notice) => notices.push(`${notice.severity}: ${notice.message}`));
  for (const migration of migrations.filter((m) => m < oneName)) await db.query(sqlOf(migration));
  for (const [n, tenant] of tenants.entries()) {
    await db.query(`INSERT INTO tenant (id, name, mode, created_at, updated_at) VALUES ($1, $2, 'balance-only', now() + $3 * interval '1 second', now())`, [
      tenant.id,
      tenant.name,
      n,
    ]);
    await db.query(`INSERT INTO ui_user (id, tenant_id, username, display_name, password_hash) VALUES ($1, $2, 'anna', 'Anna', $3)`, [
      randomUUID(),
      tenant.id,
      await hashPassword(tenant.password),
    ]);
  }
  await db.query(sqlOf(oneName));
  for (const migration of migrations.filter((m) => m > oneName)) await db.query(sqlOf(migration));
  system = await startSystem({ DATABASE_URL: databaseUrl(name) });
});

afterAll(async () => {
  await system?.close();
  await db.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

const signInAs = (tenant: string, password: string) => postLogin(system.app, '/ui/login', { tenant, username: 'anna', password });
const sessionTenant = async (cookie: string) => {
  const token = cookie.split('=')[1]!;
  const { rows } = await db.query<{ tenantId: string }>(`SELECT tenant_id AS "tenantId" FROM ui_session WHERE token_hash = encode(sha256($1::bytea), 'hex')`, [
    token,
  ]);
  return rows[0]?.tenantId;
};

describe('tenant names that clashed before the migration', () => {
  it('are reported by the migration, naming both tenants', () => {
    const reports = notices.filter((notice) => notice.startsWith('WARNING'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain(`Acme-Shop (${tenants[0]!.id})`);
    expect(reports[0]).toContain(`ACME-SHOP (${tenants[1]!.id})`);
    expect(reports[0]).not.toContain('other-shop');
  });

  it('both keep working: each signs in by its exact name, into its own tenant', async () => {
    for (const tenant of tenants) {
      const response = await signInAs(tenant.name, tenant.password);
      expect(response.statusCode, tenant.name).toBe(303);
      expect(await sessionTenant(cookieOf(response, 'pf_session')!)).toBe(tenant.id);
    }
  });

  it('a new tenant of the same name is refused, and a rename settles the clash', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const again = await system.app.inject({ method: 'POST', url: '/admin/v1/tenants', headers, payload: { name: 'acme-shop', mode: 'balance-only' } });
    expect(again.statusCode).toBe(409);
    const renamed = await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenants[1]!.id}`, headers, payload: { name: 'acme-outlet' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().name).toBe('acme-outlet');
    const { rows } = await db.query(`SELECT name, name_key, clash_rank FROM tenant WHERE id = $1`, [tenants[1]!.id]);
    expect(rows).toEqual([{ name: 'acme-outlet', name_key: 'acme-outlet', clash_rank: 0 }]);
    // Its people sign in under the new name, in any case; the old spelling now finds the other tenant only.
    const outlet = await signInAs('ACME-Outlet', tenants[1]!.password);
    expect(outlet.statusCode).toBe(303);
    expect(await sessionTenant(cookieOf(outlet, 'pf_session')!)).toBe(tenants[1]!.id);
    expect((await signInAs('ACME-SHOP', tenants[1]!.password)).statusCode).toBe(401);
  });
});
