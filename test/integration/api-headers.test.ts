import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

it('sends Cache-Control: no-store and nosniff on /api and /admin/v1 answers, refusals and one-time secrets included', async () => {
  const tenant = await createTenant(system.app);
  const answers = [
    await system.app.inject({ url: `/api/v2/point-accounts?contactId=${randomUUID()}`, headers: tenant.headers }),
    await system.app.inject({ url: `/api/v2/point-accounts?contactId=${randomUUID()}`, headers: { apikey: 'not-a-key' } }),
    await system.app.inject({ url: `/api/v2/point-accounts?contactId=not-a-uuid`, headers: tenant.headers }),
    await system.app.inject({ method: 'POST', url: `/admin/v1/tenants/${tenant.id}/api-keys`, headers: admin, payload: { name: 'second' } }),
    await system.app.inject({ method: 'PUT', url: `/admin/v1/tenants/${tenant.id}/webhook`, headers: admin, payload: { url: 'https://master.example/hook' } }),
    await system.app.inject({ url: '/admin/v1/tenants', headers: { authorization: 'Bearer wrong-token-of-some-length' } }),
  ];
  expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 400, 201, 200, 401]);
  for (const answer of answers) {
    expect(answer.headers['cache-control'], answer.body).toBe('no-store');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  }
  expect(answers[3]!.json()).toHaveProperty('key');
  expect(answers[4]!.json()).toHaveProperty('signingSecret');
});

it('sends nosniff on the JSON of the other routes too', async () => {
  const health = await system.app.inject({ url: '/health' });
  expect(health.headers['x-content-type-options']).toBe('nosniff');
});

it('leaves the operator API out of the public docs unless DOCS_INCLUDE_ADMIN is on', async () => {
  const doc = (await system.app.inject({ url: '/documentation/json' })).json<{ paths: Record<string, unknown> }>();
  const paths = Object.keys(doc.paths);
  expect(paths).toContain('/api/v2/point-accounts/balances');
  expect(paths.filter((path) => path.startsWith('/admin/'))).toEqual([]);
});
