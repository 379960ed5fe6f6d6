import { z } from 'zod';
import { createApiKeyBody, createDefinitionBody, createTenantBody, tenantParams, updateTenantBody } from '../contracts/admin.ts';
import { paging } from '../contracts/common.ts';
import type { CliCommand, CliOptions } from './context.ts';

const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;
/** `--flag`, `--flag true` or `--flag false` for a boolean setting; undefined when absent. */
const flag = (value: string | boolean | undefined) => (value === undefined ? undefined : z.enum(['true', 'false']).parse(String(value)) === 'true');

/** `--default-definition-id N` (or `--expected-push-minutes N`) sets it, `none` clears it (null); a value that is not a number fails the schema. */
const definitionOption = (value: string | boolean | undefined) => (value === undefined ? undefined : value === 'none' ? null : Number(value));

export const tenantCommands: Record<string, CliCommand> = {
  'tenants:create': {
    usage: '--name NAME --mode balance-only|all-transaction [--inactive] [--require-known-contacts]',
    run: (s, o) =>
      s.admin.createTenant(
        createTenantBody.parse({
          name: o.name,
          mode: o.mode,
          pointSystemActive: !o.inactive,
          requireKnownContacts: flag(o['require-known-contacts']) ?? false,
        }),
      ),
  },
  'tenants:list': { usage: '', run: (s) => s.admin.listTenants() },
  'tenants:show': { usage: '--tenant ID', run: (s, o) => s.admin.requireTenant(tenantOf(o)) },
  'tenants:update': {
    usage:
      '--tenant ID [--mode balance-only|all-transaction] [--point-system-active true|false] [--require-known-contacts true|false] [--default-definition-id N|none] [--max-adjustment-points N] [--expected-push-minutes N|none] [--time-zone ZONE] [--expiry follower|master]',
    run: (s, o) =>
      s.settings.update(
        tenantOf(o),
        updateTenantBody.parse({
          mode: o.mode,
          pointSystemActive: flag(o['point-system-active']),
          requireKnownContacts: flag(o['require-known-contacts']),
          defaultDefinitionId: definitionOption(o['default-definition-id']),
          timeZone: o['time-zone'],
          maxAdjustmentPoints: o['max-adjustment-points'] === undefined ? undefined : Number(o['max-adjustment-points']),
          expectedPushMinutes: definitionOption(o['expected-push-minutes']),
          expiry: o.expiry,
        }),
      ),
  },
  'tenants:rule-changes': {
    usage: '--tenant ID [--offset N] [--count N]   (accounts whose figures moved when the ledger rule became lots)',
    run: (s, o) => s.ledger.ruleChanges(tenantOf(o), paging.parse({ offset: o.offset, count: o.count })),
  },
  'ledger:audit': {
    usage: "--tenant ID [--mend]   (every account's checkpoint against its ledger; --mend replays the ones that split)",
    run: (s, o) => s.ledger.audit(tenantOf(o), { mend: flag(o.mend) ?? false }),
  },
  'definitions:create': {
    usage: '--tenant ID --id N --name NAME [--description TEXT]',
    run: (s, o) => s.admin.createDefinition(tenantOf(o), createDefinitionBody.parse({ id: Number(o.id), name: o.name, description: o.description })),
  },
  'definitions:list': { usage: '--tenant ID', run: (s, o) => s.admin.listDefinitions(tenantOf(o)) },
  'api-keys:create': {
    usage: '--tenant ID --name NAME   (prints the key, once)',
    run: (s, o) => s.admin.createApiKey(tenantOf(o), createApiKeyBody.parse({ name: o.name }).name),
  },
  'api-keys:list': { usage: '--tenant ID', run: (s, o) => s.admin.listApiKeys(tenantOf(o)) },
  'api-keys:revoke': {
    usage: '--tenant ID --id KEY_ID',
    run: async (s, o) => {
      const keyId = z.uuid().parse(o.id);
      await s.admin.revokeApiKey(tenantOf(o), keyId);
      return { id: keyId, revoked: true };
    },
  },
};
