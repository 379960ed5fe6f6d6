import { tenantParams } from '../contracts/admin.ts';
import type { CliCommand } from './context.ts';

export const syncCommands: Record<string, CliCommand> = {
  'sync:status': {
    usage: "--tenant ID   (the tenant's stream position and first gaps)",
    run: async (s, o) => s.sync.forOperator(tenantParams.parse({ tenantId: o.tenant }).tenantId),
  },
};
