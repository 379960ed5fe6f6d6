import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSecret, secretsKeyId, secretsKeyring, subscriptionSecretPlace } from '../../src/domain/secrets.ts';
import { decryptPayload, verifyWebhook } from '../../src/domain/webhook-crypto.ts';
import { automation } from '../support/adjustments.ts';
import { json, type RecordedRequest, type ScriptedServer, startScriptedServer } from '../support/http-server.ts';
import { runCommand } from '../support/cli.ts';
import { subscribe } from '../support/subscribers.ts';
import { ADMIN_TOKEN, createTenant, processEnv, startSystem, type TestSystem } from '../support/system.ts';

const KEY1 = randomBytes(32).toString('base64');
const KEY2 = randomBytes(32).toString('base64');
const ID1 = secretsKeyId(Buffer.from(KEY1, 'base64'));
const ID2 = secretsKeyId(Buffer.from(KEY2, 'base64'));
const COLUMNS = ['webhook_encryption_key', 'webhook_signing_secret', 'points_log_auth_header_value'] as const;
const ALLOW = { OUTBOUND_ALLOW_PRIVATE: 'true' };

/** The point master: records every call, answers the points log with one line and every webhook with 200. */
let master: ScriptedServer;
beforeAll(async () => {
  master = await startScriptedServer((request, response) =>
    request.method === 'GET'
      ? json(response, 200, [{ transactionDate: '2024-03-01T10:00:00Z', amount: 10, description: 'Welcome' }])
      : json(response, 200, { ok: true }),
  );
});
afterAll(() => master?.close());

const systems: TestSystem[] = [];
/** A system; the first one of a test makes the database, the others share it (DATABASE_URL). Closed after the test, the first last. */
async function system(env: Record<string, string>, shared?: TestSystem): Promise<TestSystem> {
  const started = await startSystem({ ...ALLOW, ...env, ...(shared && { DATABASE_URL: shared.runtime.config.databaseUrl }) });
  systems.push(started);
  return started;
}
afterEach(async () => {
  while (systems.length > 0) await systems.pop()!.close();
});

const admin = async (sys: TestSystem, method: 'PUT' | 'POST', url: string, payload: object) => {
  const response = await sys.app.inject({ method, url: `/admin/v1${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

/** A tenant with a webhook and a points log (with an auth header) at the master; answers the secrets as shown once. */
async function connectedTenant(sys: TestSystem) {
  const tenant = await createTenant(sys.app);
  const { encryptionKey, signingSecret } = await admin(sys, 'PUT', `/tenants/${tenant.id}/webhook`, { url: `${master.url}/webhooks/${tenant.id}` });
  const token = `tok-${randomBytes(12).toString('hex')}`;
  await admin(sys, 'PUT', `/tenants/${tenant.id}/points-log`, { urlTemplate: `${master.url}/points/{contactId}`, authHeader: `X-Master-Token: ${token}` });
  return { tenant, encryptionKey: encryptionKey as string, signingSecret: signingSecret as string, token };
}

/** The row as Postgres holds it: each secret column, and the whole row as text. */
async function rawRow(sys: TestSystem, tenantId: string) {
  const { rows } = await sys.runtime.pool.query(`SELECT row_to_json(i)::text AS whole, ${COLUMNS.join(', ')} FROM tenant_integration i WHERE tenant_id = $1`, [
    tenantId,
  ]);
  return rows[0] as Record<(typeof COLUMNS)[number] | 'whole', string>;
}

/** Reads the points log through the API and answers the auth header the master received. */
async function pointsLogHeader(sys: TestSystem, tenant: { headers: { apikey: string } }): Promise<unknown> {
  const before = master.requests.length;
  const response = await sys.app.inject({ url: `/api/v2/contacts/${randomUUID()}/points-log`, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return master.requests.slice(before).find((r) => r.method === 'GET')?.headers['x-master-token'];
}

/** Makes an adjustment, waits until the master has its webhook, and checks it as a master would, with the secrets shown once. */
async function deliverAndVerify(sys: TestSystem, connected: Awaited<ReturnType<typeof connectedTenant>>) {
  const contactId = randomUUID();
  const made = await sys.app.inject({
    method: 'POST',
    url: '/api/v2/point-accounts/adjustments',
    headers: connected.tenant.headers,
    payload: automation(contactId, 25),
  });
  expect(made.statusCode, made.body).toBe(202);
  const hook = () => master.requests.find((r: RecordedRequest) => r.url === `/webhooks/${connected.tenant.id}` && r.body.includes(made.json().eventId));
  await expect.poll(hook, { timeout: 15_000, message: 'the webhook to reach the master' }).toBeDefined();
  const { headers, body } = hook()!;
  const verdict = verifyWebhook(
    connected.signingSecret,
    { id: String(headers['webhook-id']), timestamp: String(headers['webhook-timestamp']), signature: String(headers['webhook-signature']), body },
    new Date(),
  );
  expect(verdict).toEqual({ valid: true });
  const payload = JSON.parse(decryptPayload(JSON.parse(body).payload, connected.encryptionKey));
  expect(payload).toMatchObject({ ContactId: contactId, Amount: 25, Source: 'Automation', PointDefinitionId: 1 });
}

describe('integration secrets at rest', () => {
  it('are stored sealed under the key id: the raw row holds none of them, and they still work', async () => {
    const sys = await system({ SECRETS_KEY: KEY1 });
    const connected = await connectedTenant(sys);
    const row = await rawRow(sys, connected.tenant.id);
    for (const column of COLUMNS) expect(row[column]).toMatch(new RegExp(`^enc:v1:${ID1}:[A-Za-z0-9+/]+=*$`));
    for (const secret of [connected.encryptionKey, connected.signingSecret, connected.signingSecret.slice(6), connected.token]) {
      expect(row.whole).not.toContain(secret);
      expect(row.whole).not.toContain(Buffer.from(secret).toString('base64'));
    }
    // Each value is bound to its tenant and column: moved elsewhere, it does not open.
    const keyring = secretsKeyring(Buffer.from(KEY1, 'base64'));
    expect(openSecret(keyring, row.points_log_auth_header_value, { tenantId: connected.tenant.id, column: 'points_log_auth_header_value' })).toBe(
      connected.token,
    );
    expect(() => openSecret(keyring, row.points_log_auth_header_value, { tenantId: randomUUID(), column: 'points_log_auth_header_value' })).toThrow(
      /does not open/,
    );

    expect(await pointsLogHeader(sys, connected.tenant)).toBe(connected.token);
    await sys.startWorker();
    await deliverAndVerify(sys, connected);
  });

  it('rotate: with the new key and the old one as previous, secrets:rotate re-encrypts every value, and all still work under the new key alone', async () => {
    const before = await system({ SECRETS_KEY: KEY1 });
    const tenants = [await connectedTenant(before), await connectedTenant(before)];

    const both = await system({ SECRETS_KEY: KEY2, SECRETS_KEY_PREVIOUS: KEY1 }, before);
    // Start-up leaves values sealed with a configured key as they are; they open with the previous key.
    expect((await rawRow(both, tenants[0]!.tenant.id)).webhook_signing_secret).toMatch(new RegExp(`^enc:v1:${ID1}:`));
    expect(await pointsLogHeader(both, tenants[0]!.tenant)).toBe(tenants[0]!.token);

    const rotate = await cli(processEnv(both), 'secrets:rotate');
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(JSON.parse(rotate.stdout)).toMatchObject({ keyId: ID2, tenantsRewritten: 2 });
    for (const { tenant } of tenants) {
      const row = await rawRow(both, tenant.id);
      for (const column of COLUMNS) expect(row[column]).toMatch(new RegExp(`^enc:v1:${ID2}:`));
    }
    // Nothing left to do the second time.
    expect(JSON.parse((await cli(processEnv(both), 'secrets:rotate')).stdout)).toMatchObject({ keyId: ID2, tenantsRewritten: 0 });

    const after = await system({ SECRETS_KEY: KEY2 }, before);
    for (const connected of tenants) expect(await pointsLogHeader(after, connected.tenant)).toBe(connected.token);
    await after.startWorker();
    await deliverAndVerify(after, tenants[1]!);

    // The old key alone no longer opens anything.
    await expect(system({ SECRETS_KEY: KEY1 }, before)).rejects.toThrow(
      `encrypted with key id ${ID2}, and no configured key has that id (SECRETS_KEY has key id ${ID1}`,
    );
  });

  it("rotate: subscriptions' signing secrets are re-encrypted too, open under the new key alone, and deliveries are still signed with them", async () => {
    const before = await system({ SECRETS_KEY: KEY1 });
    const tenant = await createTenant(before.app);
    const subscriber = await subscribe(before.app, tenant.id);
    try {
      const place = subscriptionSecretPlace({ tenantId: tenant.id, id: subscriber.subscriptionId });
      const stored = async (sys: TestSystem) =>
        (
          await sys.runtime.pool.query<{ signing_secret: string }>(`SELECT signing_secret FROM event_subscription WHERE tenant_id = $1 AND id = $2`, [
            tenant.id,
            subscriber.subscriptionId,
          ])
        ).rows[0]!.signing_secret;
      expect(await stored(before)).toMatch(new RegExp(`^enc:v1:${ID1}:`));

      const both = await system({ SECRETS_KEY: KEY2, SECRETS_KEY_PREVIOUS: KEY1 }, before);
      const rotate = await cli(processEnv(both), 'secrets:rotate');
      expect(rotate.code, rotate.stderr).toBe(0);
      expect(JSON.parse(rotate.stdout)).toMatchObject({ keyId: ID2, subscriptionsRewritten: 1 });
      const rotated = await stored(both);
      expect(rotated).toMatch(new RegExp(`^enc:v1:${ID2}:`));
      expect(openSecret(secretsKeyring(Buffer.from(KEY2, 'base64')), rotated, place)).toBe(subscriber.signingSecret);
      expect(JSON.parse((await cli(processEnv(both), 'secrets:rotate')).stdout)).toMatchObject({ keyId: ID2, subscriptionsRewritten: 0 });

      // Under the new key alone, a balance change reaches the subscriber signed with the secret it was shown.
      const after = await system({ SECRETS_KEY: KEY2 }, before);
      await after.startWorker();
      const contactId = randomUUID();
      const pushed = await after.app.inject({
        method: 'POST',
        url: '/api/v2/point-accounts/balances',
        headers: tenant.headers,
        payload: [{ contactId, definitionId: 1, amount: 42, timeStamp: new Date().toISOString() }],
      });
      expect(pushed.statusCode, pushed.body).toBe(202);
      await expect
        .poll(() => [...subscriber.subscriber.latest.values()].map((event) => [event.contactId, event.balance]), {
          timeout: 15_000,
          message: 'the event to reach the subscriber, its signature verified',
        })
        .toEqual([[contactId, 42]]);
      expect(subscriber.requests).toBe(subscriber.bodies.length);
    } finally {
      await subscriber.close();
    }
  });

  it('refuses to start (API, worker, rotation) naming the key id when no configured key opens the stored values', async () => {
    const sealed = await system({ SECRETS_KEY: KEY1 });
    await connectedTenant(sealed);

    await expect(system({ SECRETS_KEY: '' }, sealed)).rejects.toThrow(
      `Start-up refused: integration secrets of 1 tenant are encrypted with key id ${ID1}, and no configured key has that id (SECRETS_KEY is not set); set SECRETS_KEY or SECRETS_KEY_PREVIOUS to the key with id ${ID1}.`,
    );
    await expect(system({ SECRETS_KEY: KEY2 }, sealed)).rejects.toThrow(`key id ${ID1}, and no configured key has that id (SECRETS_KEY has key id ${ID2}`);

    // The real entry points: each exits with code 1 and says why, before it listens or takes a job.
    const env = { ...processEnv(sealed), SECRETS_KEY: KEY2, SECRETS_KEY_PREVIOUS: '', PORT: '0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' };
    const [api, worker, rotate] = await Promise.all([run(env, 'src/server.ts'), run(env, 'src/worker.ts'), cli(env, 'secrets:rotate')]);
    for (const exited of [api, worker]) {
      expect(exited.code, exited.stdout + exited.stderr).toBe(1);
      expect(exited.stdout).toContain(`Start-up refused: integration secrets of 1 tenant are encrypted with key id ${ID1}`);
      expect(exited.stdout).not.toMatch(/Server listening|worker started/);
    }
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain(`Nothing was rotated: integration secrets of 1 tenant are encrypted with key id ${ID1}`);
  }, 60_000);

  it('encrypts values stored in plain text on the first start with a key, also when two processes start at once', async () => {
    const plain = await system({ SECRETS_KEY: '' });
    const connected = await connectedTenant(plain);
    // Without a key the secrets are stored as they are, as before this feature.
    const stored = await rawRow(plain, connected.tenant.id);
    expect([stored.webhook_encryption_key, stored.webhook_signing_secret, stored.points_log_auth_header_value]).toEqual([
      connected.encryptionKey,
      connected.signingSecret,
      connected.token,
    ]);

    const [first] = await Promise.all([system({ SECRETS_KEY: KEY1 }, plain), system({ SECRETS_KEY: KEY1 }, plain)]);
    const row = await rawRow(first, connected.tenant.id);
    const keyring = secretsKeyring(Buffer.from(KEY1, 'base64'));
    for (const column of COLUMNS) expect(row[column]).toMatch(new RegExp(`^enc:v1:${ID1}:`));
    expect(openSecret(keyring, row.webhook_encryption_key, { tenantId: connected.tenant.id, column: 'webhook_encryption_key' })).toBe(connected.encryptionKey);
    expect(openSecret(keyring, row.webhook_signing_secret, { tenantId: connected.tenant.id, column: 'webhook_signing_secret' })).toBe(connected.signingSecret);
    expect(await pointsLogHeader(first, connected.tenant)).toBe(connected.token);
    await first.startWorker();
    await deliverAndVerify(first, connected);

    // From now on a process without the key refuses to start rather than fail at the first webhook.
    await expect(system({ SECRETS_KEY: '' }, plain)).rejects.toThrow(`key id ${ID1}`);
  });
});

async function run(env: NodeJS.ProcessEnv, script: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runCommand(env, args);
