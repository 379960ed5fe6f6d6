import type { Database } from '../db/database.ts';
import { displayPrefix, generateApiKey, hashApiKey } from '../domain/api-keys.ts';
import type { Clock } from '../domain/clock.ts';
import { type TenantMode, type TenantRecord, tenantNameKey } from '../domain/tenants.ts';
import { notFound } from '../errors.ts';
import { nameTaken, requireTenant, uniquely } from './guards.ts';
import { commitWithAnswer } from './answer-check.ts';

/** What operators do to tenants, shared by the admin API and the CLI; and the tenant an API key belongs to. */
export function adminService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  const tenantOf = (tenantId: string) => requireTenant(db.tenants, tenantId);

  return {
    requireTenant: tenantOf,
    listTenants: () => db.tenants.list(),

    /** The tenant owning this unrevoked API key, or null. */
    tenantForApiKey: (key: string): Promise<TenantRecord | null> => db.apiKeys.findTenant(hashApiKey(key)),

    /** Names are unique after normalisation and case folding: "ACME" beside "acme" is refused, naming the one that exists. */
    async createTenant(input: { name: string; mode: TenantMode; pointSystemActive: boolean; requireKnownContacts: boolean }) {
      // The unique index has the final word; this finds the tenants it does not cover (names that clashed before it).
      const nameKey = tenantNameKey(input.name);
      const taken = await db.tenants.nameTakenBy(nameKey);
      if (taken !== null) throw nameTaken(input.name, taken);
      return uniquely(() => commitWithAnswer(db, (tx) => tx.tenants.create({ ...input, nameKey }, clock.now())), `A tenant named ${input.name} already exists`);
    },

    async createDefinition(tenantId: string, input: { id: number; name: string; description?: string | undefined }) {
      await tenantOf(tenantId);
      return uniquely(() => commitWithAnswer(db, (tx) => tx.definitions.create(tenantId, input)), `Definition ${input.id} already exists for this tenant`);
    },

    async listDefinitions(tenantId: string) {
      await tenantOf(tenantId);
      return db.definitions.list(tenantId, { offset: 0, count: 10_000 });
    },

    /** Creates a key and returns it in clear: the only time anyone sees it. */
    async createApiKey(tenantId: string, name: string) {
      await tenantOf(tenantId);
      const key = generateApiKey();
      return commitWithAnswer(db, async (tx) => {
        const row = await tx.apiKeys.create(tenantId, { name, keyHash: hashApiKey(key), keyPrefix: displayPrefix(key) });
        return { id: row.id, name: row.name, key };
      });
    },

    async listApiKeys(tenantId: string) {
      await tenantOf(tenantId);
      const rows = await db.apiKeys.list(tenantId);
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        prefix: row.keyPrefix,
        createdAt: row.createdAt.toISOString(),
        revokedAt: row.revokedAt?.toISOString() ?? null,
      }));
    },

    async revokeApiKey(tenantId: string, keyId: string): Promise<void> {
      await tenantOf(tenantId);
      await commitWithAnswer(db, async (tx) => {
        if (!(await tx.apiKeys.revoke(tenantId, keyId, clock.now()))) throw notFound(`API key ${keyId}`);
      });
    },
  };
}

export type AdminService = ReturnType<typeof adminService>;
