import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli.ts';
import { createTenant, processEnv, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const cli = (...args: string[]) => runCommand(processEnv(system), args);

describe('subscriptions CLI', () => {
  it('creates, lists, shows, changes, rotates and deletes a subscription as the admin API does', async () => {
    const tenant = await createTenant(system.app);
    const created = await cli('subscriptions:create', '--tenant', tenant.id, '--url', 'https://shop.example/hooks', '--batch');
    expect(created.code, created.stderr).toBe(0);
    const subscription = JSON.parse(created.stdout);
    expect(subscription).toMatchObject({ url: 'https://shop.example/hooks', events: ['point.balance.updated'], batch: true, encrypted: false });
    expect(subscription.signingSecret).toMatch(/^whsec_/);

    const listed = await cli('subscriptions:list', '--tenant', tenant.id);
    expect(JSON.parse(listed.stdout).items.map((item: { id: string }) => item.id)).toEqual([subscription.id]);
    const shown = await cli('subscriptions:show', '--tenant', tenant.id, '--id', subscription.id);
    expect(JSON.parse(shown.stdout).outbox).toEqual({ pending: 0, retrying: 0, delivered: 0, failed: 0 });
    const updated = await cli('subscriptions:update', '--tenant', tenant.id, '--id', subscription.id, '--batch', 'false');
    expect(JSON.parse(updated.stdout)).toMatchObject({ batch: false });
    const rotated = await cli('subscriptions:rotate', '--tenant', tenant.id, '--id', subscription.id);
    expect(JSON.parse(rotated.stdout).signingSecret).toMatch(/^whsec_/);
    expect((await cli('subscriptions:delete', '--tenant', tenant.id, '--id', subscription.id)).code).toBe(0);
    expect(JSON.parse((await cli('subscriptions:list', '--tenant', tenant.id)).stdout).items).toEqual([]);
  });

  it('refuses a bad URL, naming it', async () => {
    const tenant = await createTenant(system.app);
    const refused = await cli('subscriptions:create', '--tenant', tenant.id, '--url', 'not a url');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('url');
  });
});
