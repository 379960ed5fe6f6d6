import type { ContactDetailsItem } from '../contracts/contacts.ts';
import type { Database } from '../db/database.ts';
import type { KnownContactRecord } from '../db/contacts.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { type ContactDetails, searchKeys } from '../domain/contacts.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { notFound } from '../errors.ts';
import { requireTenant } from './guards.ts';
import { commitWithAnswer } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

/** A registry entry as operators see it: which personal fields are held, never their values. */
function knownContactView(record: KnownContactRecord) {
  return {
    contactId: record.contactId,
    createdAt: record.createdAt.toISOString(),
    personalData: { displayName: record.hasDisplayName, email: record.hasEmail, phone: record.hasPhone, memberNumber: record.hasMemberNumber },
    ...(record.detailsAt ? { personalDataAsOf: record.detailsAt.toISOString() } : {}),
    ...(record.erasedAt ? { personalDataErasedAt: record.erasedAt.toISOString() } : {}),
  };
}

/** The details alone (an item carries more), with their search forms. */
function detailsOf(input: ContactDetails) {
  const details = { displayName: input.displayName, email: input.email, phone: input.phone, memberNumber: input.memberNumber };
  return { ...details, keys: searchKeys(details) };
}

/** The contact registry and its personal details as operators and the master manage them: admin API, CLI, CSV import, the push. */
export function contactsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  const { contacts } = db;

  return {
    async add(tenantId: string, contactIds: readonly string[]) {
      await requireTenant(db.tenants, tenantId);
      return commitWithAnswer(db, (tx) => tx.contacts.add(tenantId, contactIds, clock.now()));
    },

    async list(tenantId: string, page: PageRequest) {
      await requireTenant(db.tenants, tenantId);
      const { items, totalCount } = await contacts.list(tenantId, page);
      return { items: items.map(knownContactView), totalCount, offset: page.offset, count: page.count };
    },

    async get(tenantId: string, contactId: string) {
      await requireTenant(db.tenants, tenantId);
      const found = await contacts.find(tenantId, contactId);
      if (!found) throw notFound(`Contact ${contactId}`);
      return knownContactView(found);
    },

    /** Sets a contact's details as a whole (adding it to the registry when new); what is left out is held no more. */
    async setDetails(tenantId: string, contactId: string, details: ContactDetails) {
      await requireTenant(db.tenants, tenantId);
      return commitWithAnswer(db, async (tx) => {
        await tx.contacts.writeDetails(tenantId, [{ contactId, asOf: clock.now(), ...detailsOf(details) }], clock.now());
        return knownContactView((await tx.contacts.find(tenantId, contactId))!);
      });
    },

    /** Many contacts' details at once (the CSV import), each as a whole. */
    async importDetails(tenantId: string, rows: readonly (ContactDetails & { contactId: string })[]) {
      await requireTenant(db.tenants, tenantId);
      const now = clock.now();
      // The last line of a contact wins, as a later line of the file is the later word.
      const byContact = new Map(rows.map((row) => [row.contactId, { contactId: row.contactId, asOf: now, ...detailsOf(row) }]));
      const written = await contacts.writeDetails(tenantId, [...byContact.values()], now);
      return { stored: written.size };
    },

    /**
     * The master's push of contact details, applied at once (they are small,
     * and personal data is not left in a stored batch that an erasure would
     * have to chase). Per contact the newest timeStamp wins (ties: the later
     * item); details older than those held, or than an erasure, are skipped.
     */
    async push(tenant: TenantRecord, items: readonly ContactDetailsItem[]) {
      const now = clock.now();
      const newest = new Map<string, number>();
      items.forEach((item, index) => {
        const held = newest.get(item.contactId);
        if (held === undefined || new Date(items[held]!.timeStamp) <= new Date(item.timeStamp)) newest.set(item.contactId, index);
      });
      return commitWithAnswer(db, async (tx) => {
        const written = await tx.contacts.writeDetails(
          tenant.id,
          [...newest.values()].map((index) => {
            const item = items[index]!;
            return { contactId: item.contactId, asOf: new Date(item.timeStamp), ...detailsOf(item) };
          }),
          now,
        );
        const messages: string[] = [];
        items.forEach((item, index) => {
          const kept = newest.get(item.contactId);
          if (kept !== index) messages.push(`[${index}] contact ${item.contactId}: superseded by item [${kept}] of this request, which is newer`);
          else if (!written.has(item.contactId)) {
            messages.push(
              `[${index}] contact ${item.contactId}: not stored: the follower holds details as of a later time, or erased the contact's personal data after ${item.timeStamp}`,
            );
          }
        });
        const at = now.toISOString();
        return {
          status: messages.length === 0 ? ('Completed' as const) : ('CompletedWithErrors' as const),
          itemCount: items.length,
          appliedCount: written.size,
          skippedCount: items.length - written.size,
          messages: messages.map((message) => ({ message, timeStamp: at })),
        };
      });
    },

    /** Erases the contact's personal data; its ledger, accounts and adjustments stay under the contact id. */
    async erasePersonalData(tenantId: string, contactId: string): Promise<void> {
      await requireTenant(db.tenants, tenantId);
      await commitWithAnswer(db, async (tx) => {
        if (!(await tx.contacts.erasePersonalData(tenantId, contactId, clock.now()))) throw notFound(`Contact ${contactId}`);
      });
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
