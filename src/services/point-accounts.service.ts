import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { notFound } from '../errors.ts';
import type { PageRequest } from '../db/pages.ts';

/** Point accounts and definitions as Engage reads them; all-transaction balances are derived at the time of reading. */
export function pointAccountsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  return {
    listByContact: (tenant: TenantRecord, contactId: string, page: PageRequest) => db.pointAccounts.listByContact(tenant, contactId, page, clock.now()),

    async find(tenant: TenantRecord, id: number) {
      const account = await db.pointAccounts.find(tenant, id, clock.now());
      if (!account) throw notFound(`Point account ${id}`);
      return account;
    },

    /** An account by its v3 GUID: the same read, so the same figures, as by its v2 id. */
    async findByGuid(tenant: TenantRecord, guid: string) {
      const id = await db.pointAccounts.findIdByGuid(tenant.id, guid);
      const account = id === null ? null : await db.pointAccounts.find(tenant, id, clock.now());
      if (!account) throw notFound(`Point account ${guid}`);
      return account;
    },

    listDefinitions: (tenant: TenantRecord, page: PageRequest) => db.definitions.list(tenant.id, page),

    /** One page of the definitions and how many there are in all (v3 pages them like its other lists). */
    pageDefinitions: (tenant: TenantRecord, page: PageRequest) => db.definitions.page(tenant.id, page),

    async findDefinition(tenant: TenantRecord, id: number) {
      const definition = await db.definitions.find(tenant.id, id);
      if (!definition) throw notFound(`Point definition ${id}`);
      return definition;
    },
  };
}

export type PointAccountsService = ReturnType<typeof pointAccountsService>;
