import type { ContactsRepository } from '../db/contacts.repository.ts';
import type { TenantsRepository } from '../db/tenants.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { notFound } from '../errors.ts';

/** The contact registry as operators manage it, through the admin API and the CLI. */
export function contactsService(tenants: TenantsRepository, contacts: ContactsRepository, clock: Clock) {
  async function requireTenant(tenantId: string): Promise<void> {
    if (!(await tenants.find(tenantId))) throw notFound(`Tenant ${tenantId}`);
  }

  return {
    async add(tenantId: string, contactIds: readonly string[]) {
      await requireTenant(tenantId);
      return contacts.add(tenantId, contactIds, clock.now());
    },

    async list(tenantId: string, page: { offset: number; count: number }) {
      await requireTenant(tenantId);
      const { items, totalCount } = await contacts.list(tenantId, page);
      return {
        items: items.map((item) => ({ contactId: item.contactId, createdAt: item.createdAt.toISOString() })),
        totalCount,
        offset: page.offset,
        count: page.count,
      };
    },

    async remove(tenantId: string, contactId: string): Promise<void> {
      await requireTenant(tenantId);
      if (!(await contacts.remove(tenantId, contactId))) throw notFound(`Contact ${contactId}`);
    },
  };
}

export type ContactsService = ReturnType<typeof contactsService>;
