import type { TenantMode } from '../contracts/admin.ts';
import { isUniqueViolation, type TenantRecord, type TenantsRepository } from '../db/tenants.repository.ts';
import { displayPrefix, generateApiKey, hashApiKey } from '../domain/api-keys.ts';
import type { Clock } from '../domain/clock.ts';
import { AppError, notFound } from '../errors.ts';

/** What operators do to tenants, shared by the admin API and the CLI. */
export function adminService(tenants: TenantsRepository, clock: Clock) {
  async function requireTenant(tenantId: string): Promise<TenantRecord> {
    const tenant = await tenants.find(tenantId);
    if (!tenant) throw notFound(`Tenant ${tenantId}`);
    return tenant;
  }

  async function uniquely<T>(write: () => Promise<T>, conflict: string): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict', conflict);
      throw err;
    }
  }

  return {
    requireTenant,
    listTenants: () => tenants.list(),

    createTenant(input: { name: string; mode: TenantMode; pointSystemActive: boolean; requireKnownContacts: boolean }) {
      return uniquely(() => tenants.create(input), `A tenant named ${input.name} already exists`);
    },

    async createDefinition(tenantId: string, input: { id: number; name: string; description?: string | undefined }) {
      await requireTenant(tenantId);
      const row = await uniquely(() => tenants.createDefinition(tenantId, input), `Definition ${input.id} already exists for this tenant`);
      return { id: row.id, name: row.name, description: row.description };
    },

    async listDefinitions(tenantId: string) {
      await requireTenant(tenantId);
      const rows = await tenants.listDefinitions(tenantId, { offset: 0, count: 10_000 });
      return rows.map((row) => ({ id: row.id, name: row.name, description: row.description }));
    },

    /** Creates a key and returns it in clear: the only time anyone sees it. */
    async createApiKey(tenantId: string, name: string) {
      await requireTenant(tenantId);
      const key = generateApiKey();
      const row = await tenants.createApiKey(tenantId, name, hashApiKey(key), displayPrefix(key));
      return { id: row.id, name: row.name, key };
    },

    async listApiKeys(tenantId: string) {
      await requireTenant(tenantId);
      const rows = await tenants.listApiKeys(tenantId);
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        prefix: row.keyPrefix,
        createdAt: row.createdAt.toISOString(),
        revokedAt: row.revokedAt?.toISOString() ?? null,
      }));
    },

    async revokeApiKey(tenantId: string, keyId: string): Promise<void> {
      await requireTenant(tenantId);
      if (!(await tenants.revokeApiKey(tenantId, keyId, clock.now()))) throw notFound(`API key ${keyId}`);
    },
  };
}

export type AdminService = ReturnType<typeof adminService>;
