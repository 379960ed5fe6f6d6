import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationCommands, webhookToolCommands } from '../../src/cli/integrations.commands.ts';
import { openSecret } from '../../src/domain/secrets.ts';
import { encryptPayload, signWebhook } from '../../src/domain/webhook-crypto.ts';
import { NO_STDIN } from '../support/cli.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';

const UNSENDABLE = 'the value may hold only tabs, printable ASCII and Latin-1 characters (no control characters)';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const admin = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
  system.app.inject({ method, url: `/admin/v1${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload && { payload }) });

describe('webhook settings', () => {
  it('creates the key and secret on the first PUT only, and never shows them again', async () => {
    const tenant = await createTenant(system.app);
    const first = await admin('PUT', `/tenants/${tenant.id}/webhook`, { url: 'https://master.example/hooks/engage' });
    expect(first.statusCode, first.body).toBe(200);
    const created = first.json();
    expect(created).toEqual({
      url: 'https://master.example/hooks/engage',
      encryptionKey: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      signingSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      releasedDeliveries: 0,
    });

    const second = await admin('PUT', `/tenants/${tenant.id}/webhook`, { url: 'https://master.example/v2/hooks' });
    expect(second.json()).toEqual({ url: 'https://master.example/v2/hooks', releasedDeliveries: 0 });

    const shown = await admin('GET', `/tenants/${tenant.id}/webhook`);
    expect(shown.json()).toEqual({ url: 'https://master.example/v2/hooks', secretsCreatedAt: expect.any(String) });
    expect(shown.body).not.toContain(created.encryptionKey);

    // Stored encrypted (secrets.test.ts); opened, they are the ones shown.
    const { rows } = await system.runtime.pool.query(`SELECT webhook_encryption_key, webhook_signing_secret FROM tenant_integration WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    const place = (column: string) => ({ tenantId: tenant.id, column });
    expect(openSecret(system.runtime.secrets, rows[0].webhook_encryption_key, place('webhook_encryption_key'))).toBe(created.encryptionKey);
    expect(openSecret(system.runtime.secrets, rows[0].webhook_signing_secret, place('webhook_signing_secret'))).toBe(created.signingSecret);
  });

  it('hands out secrets to only one of two concurrent first calls', async () => {
    const tenant = await createTenant(system.app);
    const answers = await Promise.all([1, 2, 3].map((n) => admin('PUT', `/tenants/${tenant.id}/webhook`, { url: `https://master.example/${n}` })));
    const withSecrets = answers.map((a) => a.json()).filter((body) => body.encryptionKey);
    expect(withSecrets).toHaveLength(1);
    const { rows } = await system.runtime.pool.query(`SELECT webhook_encryption_key FROM tenant_integration WHERE tenant_id = $1`, [tenant.id]);
    expect(openSecret(system.runtime.secrets, rows[0].webhook_encryption_key, { tenantId: tenant.id, column: 'webhook_encryption_key' })).toBe(
      withSecrets[0].encryptionKey,
    );
  });

  it('rotates both secrets, shown once', async () => {
    const tenant = await createTenant(system.app);
    const created = (await admin('PUT', `/tenants/${tenant.id}/webhook`, { url: 'https://master.example/h' })).json();
    const rotated = await admin('POST', `/tenants/${tenant.id}/webhook/rotate`);
    expect(rotated.statusCode).toBe(200);
    const secrets = rotated.json();
    expect(Object.keys(secrets).sort()).toEqual(['encryptionKey', 'signingSecret']);
    expect(secrets.encryptionKey).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secrets.encryptionKey).not.toBe(created.encryptionKey);
    expect(secrets.signingSecret).not.toBe(created.signingSecret);
  });

  it('answers 404 Not configured for rotate and show before a URL is set', async () => {
    const tenant = await createTenant(system.app);
    for (const response of [await admin('POST', `/tenants/${tenant.id}/webhook/rotate`), await admin('GET', `/tenants/${tenant.id}/webhook`)]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ title: 'Not configured', detail: expect.stringContaining('set its URL first') });
    }
  });

  it.each([
    ['ftp://master.example/hook', 'must be an absolute http or https URL'],
    ['master.example/hook', 'must be an absolute http or https URL'],
    ['https://user:secret@master.example/hook', 'must not carry a user name or password; use the auth header instead'],
  ])('refuses %s', async (url, message) => {
    const tenant = await createTenant(system.app);
    const response = await admin('PUT', `/tenants/${tenant.id}/webhook`, { url });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ path: 'url', message, code: expect.any(String) }]);
  });

  it('answers 404 for an unknown tenant and 401 without the admin token', async () => {
    expect((await admin('PUT', `/tenants/${randomUUID()}/webhook`, { url: 'https://master.example/h' })).statusCode).toBe(404);
    const anonymous = await system.app.inject({ method: 'PUT', url: `/admin/v1/tenants/${randomUUID()}/webhook`, payload: { url: 'https://m.example' } });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('points-log settings', () => {
  it('stores the template and auth header, and shows only the header name', async () => {
    const tenant = await createTenant(system.app);
    const set = await admin('PUT', `/tenants/${tenant.id}/points-log`, {
      urlTemplate: 'https://master.example/points/{contactId}',
      authHeader: 'Authorization: Bearer very-secret',
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ urlTemplate: 'https://master.example/points/{contactId}', authHeaderName: 'Authorization' });
    const shown = await admin('GET', `/tenants/${tenant.id}/points-log`);
    expect(shown.json()).toEqual({ urlTemplate: 'https://master.example/points/{contactId}', authHeaderName: 'Authorization' });
    expect(shown.body).not.toContain('very-secret');

    // A PUT replaces the settings: no header given, none kept.
    await admin('PUT', `/tenants/${tenant.id}/points-log`, { urlTemplate: 'https://master.example/log?contact={contactId}' });
    expect((await admin('GET', `/tenants/${tenant.id}/points-log`)).json()).toEqual({
      urlTemplate: 'https://master.example/log?contact={contactId}',
      authHeaderName: null,
    });
  });

  it.each<[object, string, string]>([
    [{ urlTemplate: 'https://master.example/points' }, 'urlTemplate', 'must contain {contactId}'],
    [{ urlTemplate: 'file:///etc/{contactId}' }, 'urlTemplate', 'must be an absolute http or https URL'],
    [{ urlTemplate: 'https://m.example/{contactId}', authHeader: 'no colon here' }, 'authHeader', 'must be one header line, "Name: value"'],
    [{ urlTemplate: 'https://m.example/{contactId}', authHeader: 'X-Key: a\r\nInjected: b' }, 'authHeader', 'must be one header line, "Name: value"'],
    [{ urlTemplate: 'https://m.example/{contactId}', authHeader: 'Host: internal' }, 'authHeader', 'Host cannot be set'],
    // What the HTTP client refuses to send, refused here rather than failing every later call with a 502.
    [{ urlTemplate: 'https://m.example/{contactId}', authHeader: 'Expect: 100-continue' }, 'authHeader', 'Expect cannot be set'],
    [{ urlTemplate: 'https://m.example/{contactId}', authHeader: 'Keep-Alive: timeout=5' }, 'authHeader', 'Keep-Alive cannot be set'],
    ...['a\x0bb', 'a\x7fb', 'a\x01b', 'ключ', 'a\u20acb'].map((value): [object, string, string] => [
      { urlTemplate: 'https://m.example/{contactId}', authHeader: `X-Key: ${value}` },
      'authHeader',
      UNSENDABLE,
    ]),
  ])('refuses %j', async (body, path, message) => {
    const tenant = await createTenant(system.app);
    const response = await admin('PUT', `/tenants/${tenant.id}/points-log`, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ path, message, code: expect.any(String) }]);
  });

  it('accepts a value with Latin-1 letters and tabs, which the HTTP client sends', async () => {
    const tenant = await createTenant(system.app);
    const response = await admin('PUT', `/tenants/${tenant.id}/points-log`, {
      urlTemplate: 'https://m.example/{contactId}',
      authHeader: 'X-Key: caf\u00e9\tau lait',
    });
    expect(response.statusCode, response.body).toBe(200);
  });
});

describe('CLI twins', () => {
  const run = async (name: string, options: Record<string, string>) => integrationCommands[name]!.run(system.runtime.services, options, NO_STDIN);

  it('sets, shows and rotates the webhook and points-log settings', async () => {
    const tenant = await createTenant(system.app);
    const created = (await run('webhook:set', { tenant: tenant.id, url: 'https://master.example/h' })) as Record<string, unknown>;
    expect(created).toMatchObject({ url: 'https://master.example/h', encryptionKey: expect.any(String), signingSecret: expect.any(String) });
    expect(await run('webhook:show', { tenant: tenant.id })).toMatchObject({ url: 'https://master.example/h' });
    expect(await run('webhook:rotate', { tenant: tenant.id })).toEqual({ encryptionKey: expect.any(String), signingSecret: expect.any(String) });
    expect(await run('points-log:set', { tenant: tenant.id, 'url-template': 'https://master.example/p/{contactId}', 'auth-header': 'X-Api-Key: k' })).toEqual({
      urlTemplate: 'https://master.example/p/{contactId}',
      authHeaderName: 'X-Api-Key',
    });
    expect(await run('deliveries:list', { tenant: tenant.id, state: 'Failed' })).toEqual({ items: [], totalCount: 0, offset: 0, count: 100 });
    expect(await run('deliveries:replay-failed', { tenant: tenant.id })).toEqual({ replayed: 0 });
  });

  it('refuses bad input with the same rules as the API', async () => {
    const tenant = await createTenant(system.app);
    await expect(run('webhook:set', { tenant: tenant.id, url: 'ftp://x' })).rejects.toThrow(/must be an absolute http or https URL/);
    await expect(run('webhook:set', { tenant: 'nope', url: 'https://x.example' })).rejects.toThrow();
  });

  it('decrypts and verifies a webhook for the master, without a database', async () => {
    const key = '0123456789abcdefghijklmnopqrstuv';
    const secret = 'whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1zZWNyZXQtMzI=';
    const payload = encryptPayload('{"ContactId":"c","Amount":5}', key);
    expect(await webhookToolCommands['webhook:decrypt']!.run({ key, payload })).toEqual({ ContactId: 'c', Amount: 5 });

    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ eventType: 'loyalty.addPoints', id: 'e-1', payload, tenant: 't' });
    const signature = signWebhook(secret, { id: 'e-1', timestamp, body });
    const verify = webhookToolCommands['webhook:verify']!;
    expect(await verify.run({ secret, id: 'e-1', timestamp: String(timestamp), signature, body })).toEqual({ valid: true, id: 'e-1', timestamp });
    await expect(verify.run({ secret, id: 'e-2', timestamp: String(timestamp), signature, body })).rejects.toThrow(/no signature in webhook-signature matches/);
  });
});
