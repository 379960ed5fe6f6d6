import type { TenantMode } from '../contracts/admin.ts';
import type { Pool } from './pool.ts';
import type { PrismaClient } from './prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';

export interface TenantRecord {
  id: string;
  name: string;
  mode: TenantMode;
  pointSystemActive: boolean;
  requireKnownContacts: boolean;
}

const toMode = (mode: 'balance_only' | 'all_transaction'): TenantMode => (mode === 'balance_only' ? 'balance-only' : 'all-transaction');
const fromMode = (mode: TenantMode): 'balance_only' | 'all_transaction' => (mode === 'balance-only' ? 'balance_only' : 'all_transaction');

const toTenant = (row: {
  id: string;
  name: string;
  mode: 'balance_only' | 'all_transaction';
  pointSystemActive: boolean;
  requireKnownContacts: boolean;
}): TenantRecord => ({
  id: row.id,
  name: row.name,
  mode: toMode(row.mode),
  pointSystemActive: row.pointSystemActive,
  requireKnownContacts: row.requireKnownContacts,
});

/** True when a write failed on a unique constraint (Prisma's P2002). */
export const isUniqueViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';

export function tenantsRepository(prisma: PrismaClient, pool: Pool) {
  return {
    async create(input: { name: string; mode: TenantMode; pointSystemActive: boolean; requireKnownContacts: boolean }): Promise<TenantRecord> {
      return toTenant(await prisma.tenant.create({ data: { ...input, mode: fromMode(input.mode) } }));
    },

    async find(id: string): Promise<TenantRecord | null> {
      const row = await prisma.tenant.findUnique({ where: { id } });
      return row && toTenant(row);
    },

    async list(): Promise<TenantRecord[]> {
      return (await prisma.tenant.findMany({ orderBy: { createdAt: 'asc' } })).map(toTenant);
    },

    /**
     * The tenant owning an unrevoked key with this hash. Every API request asks
     * this, so it is one prepared statement over pg: through Prisma the lookup
     * cost ten times the CPU.
     */
    async findByKeyHash(keyHash: string): Promise<TenantRecord | null> {
      const { rows } = await pool.query<TenantRecord>({
        name: 'tenant-by-key-hash',
        // The mode column holds the enum's mapped names, which are TenantMode's own.
        text: `SELECT t.id, t.name, t.mode::text AS mode, t.point_system_active AS "pointSystemActive", t.require_known_contacts AS "requireKnownContacts"
                 FROM api_key k JOIN tenant t ON t.id = k.tenant_id
                WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        values: [keyHash],
      });
      return rows[0] ?? null;
    },

    createApiKey(tenantId: string, name: string, keyHash: string, keyPrefix: string) {
      return prisma.apiKey.create({ data: { tenantId, name, keyHash, keyPrefix } });
    },

    listApiKeys(tenantId: string) {
      return prisma.apiKey.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
    },

    /** Revokes the key; false when the tenant has no such key. Revoking twice is harmless. */
    async revokeApiKey(tenantId: string, id: string, now: Date): Promise<boolean> {
      const key = await prisma.apiKey.findFirst({ where: { id, tenantId } });
      if (!key) return false;
      if (key.revokedAt === null) await prisma.apiKey.update({ where: { id }, data: { revokedAt: now } });
      return true;
    },

    createDefinition(tenantId: string, input: { id: number; name: string; description?: string | undefined }) {
      return prisma.pointDefinition.create({ data: { tenantId, id: input.id, name: input.name, description: input.description ?? null } });
    },

    listDefinitions(tenantId: string, page: { offset: number; count: number }) {
      return prisma.pointDefinition.findMany({ where: { tenantId }, orderBy: { id: 'asc' }, skip: page.offset, take: page.count });
    },

    findDefinition(tenantId: string, id: number) {
      return prisma.pointDefinition.findUnique({ where: { tenantId_id: { tenantId, id } } });
    },
  };
}

export type TenantsRepository = ReturnType<typeof tenantsRepository>;
