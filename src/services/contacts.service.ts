import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { notFound } from '../errors.ts';
import { requireTenant } from './guards.ts';
import { commitWithAnswer } from './answer-check.ts';

/** The contact registry as operators manage it, through the admin API and the CLI. */
export function contactsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  const { contacts } = db;

  return {
    async add(tenantId: string, contactIds: readonly string[]) {
      await requireTenant(db.tenants, tenantId);
      return commitWithAnswer(db, (tx) => tx.contacts.add(tenantId, contactIds, clock.now()));
    },

    async list(tenantId: string, page: { offset: number; count: number }) {
      await requireTenant(db.tenants, tenantId);
      const { items, totalCount } = await contacts.list(tenantId, page);
      return {
        items: items.map((item) => ({ contactId: item.contactId, createdAt: item.createdAt.toISOString() })),
        totalCount,
        offset: page.offset,
        count: page.count,
      };
    },

    async remove(tenantId: string, contactId: string): Promise<void> {
      await requireTenant(db.tenants, tenantId);
      await commitWithAnswer(db, async (tx) => {
        if (!(await tx.contacts.remove(tenantId, contactId))) throw notFound(`Contact ${contactId}`);
      });
    },
  };
}

export type ContactsService = ReturnType<typeof contactsService>;
