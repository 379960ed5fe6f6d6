import { text } from 'node:stream/consumers';
import { tenantParams } from '../contracts/admin.ts';
import { createUiUserBody, resetPasswordBody, uiUserParams } from '../contracts/ui-users.ts';
import { tenantsRepository } from '../db/tenants.repository.ts';
import { uiSessionsRepository } from '../db/ui-sessions.repository.ts';
import { uiUsersRepository } from '../db/ui-users.repository.ts';
import { uiUsersService } from '../services/ui-users.service.ts';
import type { CliCommand, CliContext, CliOptions } from './context.ts';

const users = (c: CliContext) =>
  uiUsersService({ tenants: tenantsRepository(c.prisma, c.pool), users: uiUsersRepository(c.prisma), sessions: uiSessionsRepository(c.pool), clock: c.clock });
const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;
const userOf = (o: CliOptions) => uiUserParams.parse({ tenantId: o.tenant, id: o.id });

/**
 * The password comes on stdin, never as an argument: arguments show up in
 * shell history and in every process listing. One trailing newline is dropped.
 */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new Error('pipe the password on stdin, e.g. printf %s "$PASSWORD" | npm run -s cli -- ...');
  return (await text(process.stdin)).replace(/\r?\n$/, '');
}

export const userCommands: Record<string, CliCommand> = {
  'users:create': {
    usage: '--tenant ID --username NAME --display-name NAME   (password on stdin)',
    run: async (c, o) => {
      const body = createUiUserBody.parse({ username: o.username, displayName: o['display-name'], password: await passwordFromStdin() });
      return users(c).create(tenantOf(o), body);
    },
  },
  'users:list': { usage: '--tenant ID', run: (c, o) => users(c).list(tenantOf(o)) },
  'users:disable': {
    usage: '--tenant ID --id USER_ID   (ends its sessions)',
    run: (c, o) => {
      const { tenantId, id } = userOf(o);
      return users(c).disable(tenantId, id);
    },
  },
  'users:enable': {
    usage: '--tenant ID --id USER_ID',
    run: (c, o) => {
      const { tenantId, id } = userOf(o);
      return users(c).enable(tenantId, id);
    },
  },
  'users:reset-password': {
    usage: '--tenant ID --id USER_ID   (new password on stdin; ends its sessions, lifts a lock-out)',
    run: async (c, o) => {
      const { tenantId, id } = userOf(o);
      return users(c).resetPassword(tenantId, id, resetPasswordBody.parse({ password: await passwordFromStdin() }).password);
    },
  },
};
