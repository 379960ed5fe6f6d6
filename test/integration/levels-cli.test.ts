import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli.ts';
import { createTenant, processEnv, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
let dir: string;
beforeAll(async () => {
  system = await startSystem();
  dir = await mkdtemp(path.join(tmpdir(), 'pf-levels-cli-'));
});
afterAll(async () => {
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs a CLI command as operators do, against this file's database; answers its exit code and output. */
const cli = (...args: string[]) => runCommand(processEnv(system), args);

const ladder = {
  definitionId: 1,
  basis: 'Purchases',
  window: { type: 'CalendarYear' },
  levels: [
    { key: 'member', name: 'Member', threshold: 0 },
    { key: 'vip', name: 'VIP', threshold: 10 },
  ],
};

describe('levels CLI', () => {
  it('sets a ladder from a file and reads it back', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const file = path.join(dir, 'ladder.json');
    await writeFile(file, JSON.stringify(ladder));
    const set = await cli('levels:set', '--tenant', tenant.id, '--file', file);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ ...ladder, announce: false, timeZone: 'UTC', changesRecorded: 0 });
    const got = await cli('levels:get', '--tenant', tenant.id);
    expect(JSON.parse(got.stdout)).toEqual({ ...ladder, announce: false, timeZone: 'UTC' });
  });

  it('refuses a bad ladder naming the field, and a balance-only tenant', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ ...ladder, levels: [{ key: 'member', name: 'Member', threshold: 3 }] }));
    const bad = await cli('levels:set', '--tenant', tenant.id, '--file', file);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr).error).toContain('levels.0.threshold must be 0');

    const balanceOnly = await createTenant(system.app, { mode: 'balance-only' });
    await writeFile(file, JSON.stringify(ladder));
    const refused = await cli('levels:set', '--tenant', balanceOnly.id, '--file', file);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr).error).toContain('all-transaction mode');
  });
});
