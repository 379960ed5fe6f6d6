import { z } from 'zod';
import { createApiKeyBody, createDefinitionBody, createTenantBody, tenantParams, updateTenantBody } from '../contracts/admin.ts';
import { tenantsRepository } from '../db/tenants.repository.ts';
import { adminService } from '../services/admin.service.ts';
import { tenantSettingsService } from '../services/tenant-settings.service.ts';
import type { CliCommand, CliContext, CliOptions } from './context.ts';

const admin = (context: CliContext) => adminService(tenantsRepository(context.prisma, context.pool), context.clock);
const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;
const settings = (context: CliContext) => tenantSettingsService(context.pool, context.clock, { info: () => undefined });
/** `--flag`, `--flag true` or `--flag false` for a boolean setting; undefined when absent. */
const flag = (value: string | boolean | undefined) => (value === undefined ? undefined : z.enum(['true', 'false']).parse(String(value)) === 'true');

export const tenantCommands: Record<string, CliCommand> = {
  'tenants:create': {
    usage: '--name NAME --mode balance-only|all-transaction [--inactive] [--require-known-contacts]',
    run: (c, o) =>
      admin(c).createTenant(
        createTenantBody.parse({ name: o.name, mode: o.mode, pointSystemActive: !o.inactive, requireKnownContacts: flag(o['require-known-contacts']) ?? false }),
      ),
  },
  'tenants:list': { usage: '', run: (c) => admin(c).listTenants() },
  'tenants:show': { usage: '--tenant ID', run: (c, o) => admin(c).requireTenant(tenantOf(o)) },
  'tenants:update': {
    usage: '--tenant ID [--mode balance-only|all-transaction] [--point-system-active true|false] [--require-known-contacts true|false]',
    run: (c, o) =>
      settings(c).update(
        tenantOf(o),
        updateTenantBody.parse({ mode: o.mode, pointSystemActive: flag(o['point-system-active']), requireKnownContacts: flag(o['require-known-contacts']) }),
      ),
  },
  'definitions:create': {
    usage: '--tenant ID --id N --name NAME [--description TEXT]',
    run: (c, o) =>
      admin(c).createDefinition(tenantOf(o), createDefinitionBody.parse({ id: Number(o.id), name: o.name, description: o.description })),
  },
  'definitions:list': { usage: '--tenant ID', run: (c, o) => admin(c).listDefinitions(tenantOf(o)) },
  'api-keys:create': {
    usage: '--tenant ID --name NAME   (prints the key, once)',
    run: (c, o) => admin(c).createApiKey(tenantOf(o), createApiKeyBody.parse({ name: o.name }).name),
  },
  'api-keys:list': { usage: '--tenant ID', run: (c, o) => admin(c).listApiKeys(tenantOf(o)) },
  'api-keys:revoke': {
    usage: '--tenant ID --id KEY_ID',
    run: async (c, o) => {
      const keyId = z.uuid().parse(o.id);
      await admin(c).revokeApiKey(tenantOf(o), keyId);
      return { id: keyId, revoked: true };
    },
  },
};
