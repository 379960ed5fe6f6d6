import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli.ts';
import { createTenant, processEnv, startSystem, type TestSystem } from '../support/system.ts';
import { postLogin } from '../support/ui.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

/** Runs a CLI command as operators do, with `stdin` piped in; answers the exit code and the parsed output. */
async function cli(args: string[], stdin = ''): Promise<{ code: number; out: unknown; err: string }> {
  const { code, stdout, stderr } = await runCommand(processEnv(system), args, stdin);
  return { code, out: stdout ? JSON.parse(stdout) : null, err: stderr };
}

describe('users CLI', () => {
  it('creates a user with the password from stdin, lists, disables, enables and resets it', async () => {
    const tenant = await createTenant(system.app);
    const created = await cli(['users:create', '--tenant', tenant.id, '--username', 'Kim', '--display-name', 'Kim Karlsson'], 'first password 123\n');
    expect(created.code, created.err).toBe(0);
    const user = created.out as { id: string; username: string; disabled: boolean };
    expect(user).toMatchObject({ username: 'kim', displayName: 'Kim Karlsson', disabled: false });
    expect(JSON.stringify(created.out)).not.toMatch(/password/i);
    expect((await postLogin(system.app, '/ui/login', { tenant: tenant.name, username: 'kim', password: 'first password 123' })).statusCode).toBe(303);

    expect((await cli(['users:list', '--tenant', tenant.id])).out).toEqual([created.out]);
    expect((await cli(['users:disable', '--tenant', tenant.id, '--id', user.id])).out).toMatchObject({ disabled: true });
    expect((await postLogin(system.app, '/ui/login', { tenant: tenant.name, username: 'kim', password: 'first password 123' })).statusCode).toBe(401);
    expect((await cli(['users:enable', '--tenant', tenant.id, '--id', user.id])).out).toMatchObject({ disabled: false });

    const reset = await cli(['users:reset-password', '--tenant', tenant.id, '--id', user.id], 'second password 456');
    expect(reset.code, reset.err).toBe(0);
    expect((await postLogin(system.app, '/ui/login', { tenant: tenant.name, username: 'kim', password: 'first password 123' })).statusCode).toBe(401);
    expect((await postLogin(system.app, '/ui/login', { tenant: tenant.name, username: 'kim', password: 'second password 456' })).statusCode).toBe(303);
  });

  it('refuses a short password and a taken username, saying why', async () => {
    const tenant = await createTenant(system.app);
    const short = await cli(['users:create', '--tenant', tenant.id, '--username', 'lee', '--display-name', 'Lee'], 'short');
    expect(short.code).toBe(1);
    expect(short.err).toContain('password must be at least 12 characters');
    expect((await cli(['users:create', '--tenant', tenant.id, '--username', 'lee', '--display-name', 'Lee'], 'long enough password')).code).toBe(0);
    const taken = await cli(['users:create', '--tenant', tenant.id, '--username', 'LEE', '--display-name', 'Lee'], 'long enough password');
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('A user named lee already exists in this tenant');
  });
});
