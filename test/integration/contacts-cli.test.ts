import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContactFile } from '../../src/cli/contacts.commands.ts';
import { runCommand } from '../support/cli.ts';
import { createTenant, processEnv, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
let dir: string;
beforeAll(async () => {
  system = await startSystem();
  dir = await mkdtemp(path.join(tmpdir(), 'pf-cli-'));
});
afterAll(async () => {
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs a CLI command as operators do, against this file's database. */
async function cli(...args: string[]) {
  const { code, stdout, stderr } = await runCommand(processEnv(system), args);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout);
}

describe('parseContactFile', () => {
  it('takes one uuid per line, ignoring blank lines and spaces, lower-cased', () => {
    const a = randomUUID();
    expect(parseContactFile(`${a.toUpperCase()}\r\n\n  ${a}  \n`)).toEqual([a, a]);
  });
  it('names every bad line and imports nothing', () => {
    expect(() => parseContactFile(`${randomUUID()}\nnope\n\nalso-nope`)).toThrow(
      '2 bad line(s), nothing imported: line 2: "nope" is not a uuid; line 4: "also-nope" is not a uuid',
    );
  });
});

describe('CLI', () => {
  it('adds, imports, lists and removes known contacts, and updates tenant settings', { timeout: 60_000 }, async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const single = randomUUID();
    expect(await cli('contacts:add', '--tenant', tenant.id, '--contact', single)).toEqual({ added: 1, alreadyKnown: 0 });

    const ids = Array.from({ length: 25_000 }, () => randomUUID());
    const file = path.join(dir, 'contacts.txt');
    await writeFile(file, `${ids.join('\n')}\n${single}\n`);
    expect(await cli('contacts:import', '--tenant', tenant.id, '--file', file)).toEqual({ lines: 25_001, added: 25_000, alreadyKnown: 1 });

    const page = await cli('contacts:list', '--tenant', tenant.id, '--count', '3');
    expect(page).toMatchObject({ totalCount: 25_001, offset: 0, count: 3 });
    expect(await cli('contacts:remove', '--tenant', tenant.id, '--contact', single)).toEqual({ contactId: single, removed: true });

    const updated = await cli('tenants:update', '--tenant', tenant.id, '--mode', 'all-transaction', '--require-known-contacts', 'true');
    expect(updated).toMatchObject({ id: tenant.id, mode: 'all-transaction', pointSystemActive: true, requireKnownContacts: true });
    expect(await cli('tenants:update', '--tenant', tenant.id, '--point-system-active', 'false')).toMatchObject({ pointSystemActive: false });
    expect(await cli('tenants:update', '--tenant', tenant.id, '--default-definition-id', '1')).toMatchObject({ defaultDefinitionId: 1 });
    expect(await cli('tenants:update', '--tenant', tenant.id, '--default-definition-id', 'none')).not.toHaveProperty('defaultDefinitionId');
  });
});
