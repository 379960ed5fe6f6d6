import { text } from 'node:stream/consumers';
import { tenantParams } from '../contracts/admin.ts';
import { createUiUserBody, resetPasswordBody, uiUserParams } from '../contracts/ui-users.ts';
import type { CliCommand, CliIo, CliOptions } from './context.ts';

const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;
const userOf = (o: CliOptions) => uiUserParams.parse({ tenantId: o.tenant, id: o.id });

/**
 * The password comes on stdin, never as an argument: arguments show up in
 * shell history and in every process listing. One trailing newline is dropped.
 */
async function passwordFromStdin({ stdin }: CliIo): Promise<string> {
  if (stdin.isTTY) throw new Error('pipe the password on stdin, e.g. printf %s "$PASSWORD" | npm run -s cli -- ...');
  return (await text(stdin)).replace(/\r?\n$/, '');
}

export const userCommands: Record<string, CliCommand> = {
  'users:create': {
    usage: '--tenant ID --username NAME --display-name NAME   (password on stdin)',
    run: async (s, o, io) => {
      const body = createUiUserBody.parse({ username: o.username, displayName: o['display-name'], password: await passwordFromStdin(io) });
      return s.uiUsers.create(tenantOf(o), body);
    },
  },
  'users:list': { usage: '--tenant ID', run: (s, o) => s.uiUsers.list(tenantOf(o)) },
  'users:disable': {
    usage: '--tenant ID --id USER_ID   (ends its sessions)',
    run: (s, o) => {
      const { tenantId, id } = userOf(o);
      return s.uiUsers.disable(tenantId, id);
    },
  },
  'users:enable': {
    usage: '--tenant ID --id USER_ID',
    run: (s, o) => {
      const { tenantId, id } = userOf(o);
      return s.uiUsers.enable(tenantId, id);
    },
  },
  'users:reset-password': {
    usage: '--tenant ID --id USER_ID   (new password on stdin; ends its sessions, lifts a lock-out)',
    run: async (s, o, io) => {
      const { tenantId, id } = userOf(o);
      return s.uiUsers.resetPassword(tenantId, id, resetPasswordBody.parse({ password: await passwordFromStdin(io) }).password);
    },
  },
};
