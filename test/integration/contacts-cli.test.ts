import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContactCsv, parseContactFile } from '../../src/cli/contacts.commands.ts';
import { runCommand } from '../support/cli.ts';
import { createUiUser, FORM, form, HTML, signIn } from '../support/ui.ts';
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

describe('parseContactCsv', () => {
  it('reads a header in any case, commas or semicolons, quoted cells, a byte order mark, and empty cells as details not held', () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const text = `\uFEFFContact ID;Display name;Mail;member_number\r\n${a.toUpperCase()};"Lindqvist; Anna ""Ankan""";anna@example.com;\r\n\r\n${b};Bo;;1001\r\n`;
    expect(() => parseContactCsv(text)).toThrow('unknown: Mail');
    expect(parseContactCsv(text.replace('Mail', 'E-mail'))).toEqual([
      { contactId: a, displayName: 'Lindqvist; Anna "Ankan"', email: 'anna@example.com' },
      { contactId: b, displayName: 'Bo', memberNumber: '1001' },
    ]);
    expect(parseContactCsv(`contactId,phone\n${a},"+46 70 123 45 67"\n`)).toEqual([{ contactId: a, phone: '+46 70 123 45 67' }]);
  });

  it('names every bad line and column, never the value, and imports nothing', () => {
    const text = `contactId,email,phone\n${randomUUID()},anna@example.com,\nnot-an-id,secret-address,\n${randomUUID()},,call me\n`;
    let message = '';
    try {
      parseContactCsv(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(
      /^2 bad line\(s\), nothing imported: line 3: contactId must be a uuid, email must be an email address.*; line 4: phone must be a phone number/,
    );
    expect(message).not.toMatch(/secret-address|call me|not-an-id/);
  });
});

describe('CLI', () => {
  it("sets, shows and erases a contact's details, and imports them from a CSV the card then finds", { timeout: 60_000 }, async () => {
    const tenant = await createTenant(system.app);
    const anna = randomUUID();
    const set = await cli('contacts:set', '--tenant', tenant.id, '--contact', anna, '--display-name', 'Anna Lindqvist', '--member-number', 'M-17');
    expect(set).toMatchObject({ contactId: anna, personalData: { displayName: true, email: false, phone: false, memberNumber: true } });
    expect(JSON.stringify(set)).not.toContain('Lindqvist');
    const refused = await runCommand(processEnv(system), ['contacts:set', '--tenant', tenant.id, '--contact', anna, '--email', 'nope']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr).error).toContain('email must be an email address');

    const rows = Array.from({ length: 30 }, (_, i) => [randomUUID(), `Customer ${String(i).padStart(2, '0')}`, `c${i}@example.com`, '', `N-${i}`]);
    const file = path.join(dir, 'contacts.csv');
    const csv = rows.map((row) => row.join(',')).join('\n');
    await writeFile(file, `contactId,displayName,email,phone,memberNumber\n${csv}\n${anna},Anna Lindqvist,anna@example.com,070-123 45 67,M-17\n`);
    expect(await cli('contacts:import', '--tenant', tenant.id, '--file', file)).toEqual({ lines: 31, stored: 31 });
    expect(await cli('contacts:show', '--tenant', tenant.id, '--contact', anna)).toMatchObject({
      personalData: { displayName: true, email: true, phone: true, memberNumber: true },
    });

    // A contact card user of the tenant finds an imported contact by what the file said.
    const user = await createUiUser(system.app, tenant.id);
    const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
    const search = (q: string) =>
      system.app.inject({
        method: 'POST',
        url: '/ui/contacts/search',
        headers: { ...FORM, ...HTML, cookie: session.cookie },
        payload: form({ _csrf: session.csrf, q }),
      });
    expect((await search('c7@example.com')).headers.location).toBe(`/ui/contacts/${rows[7]![0]}`);
    expect((await search('n-12')).headers.location).toBe(`/ui/contacts/${rows[12]![0]}`);
    expect((await search('+46 70 123 45 67')).headers.location).toBe(`/ui/contacts/${anna}`);

    expect(await cli('contacts:erase', '--tenant', tenant.id, '--contact', anna)).toEqual({ contactId: anna, personalDataErased: true });
    expect((await cli('contacts:show', '--tenant', tenant.id, '--contact', anna)).personalData).toEqual({
      displayName: false,
      email: false,
      phone: false,
      memberNumber: false,
    });
    expect((await search('+46 70 123 45 67')).statusCode).toBe(404);
  });

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
