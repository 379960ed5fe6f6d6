import { z } from 'zod';
import type { ContactDetails, ContactSearch, ContactSearchKeys, SearchMatch } from '../domain/contacts.ts';
import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';
import { nullableDate, parseFirstRow, parseRows } from './rows.ts';

const optionalText = z
  .string()
  .nullable()
  .transform((value) => value ?? undefined);

/** A registry row as operators see it: which personal fields are held, never their values. */
const knownContactRow = z.object({
  contactId: z.string(),
  createdAt: z.date(),
  hasDisplayName: z.boolean(),
  hasEmail: z.boolean(),
  hasPhone: z.boolean(),
  hasMemberNumber: z.boolean(),
  detailsAt: nullableDate,
  erasedAt: nullableDate,
});
export type KnownContactRecord = z.output<typeof knownContactRow>;

const detailsRow = z.object({
  contactId: z.string(),
  displayName: optionalText,
  email: optionalText,
  phone: optionalText,
  memberNumber: optionalText,
});
/** A contact's personal details: for the tenant's contact card users only. */
export type ContactDetailsRecord = z.output<typeof detailsRow>;

const foundRow = detailsRow.extend({ matchedBy: z.enum(['email', 'phone', 'memberNumber', 'name']) });
export type FoundContact = ContactDetailsRecord & { matchedBy: SearchMatch };

const KNOWN_COLUMNS = `contact_id AS "contactId", created_at AS "createdAt", display_name IS NOT NULL AS "hasDisplayName",
  email IS NOT NULL AS "hasEmail", phone IS NOT NULL AS "hasPhone", member_number IS NOT NULL AS "hasMemberNumber",
  details_at AS "detailsAt", erased_at AS "erasedAt"`;
/** How many matches of one kind a search reads before it ranks them. */
const PART_LIMIT = 200;
const DETAILS_COLUMNS = `contact_id AS "contactId", display_name AS "displayName", email, phone, member_number AS "memberNumber"`;

/** Details to store for a contact, as of a time: an older set never replaces a newer one, nor comes back after an erasure. */
export interface DetailsWrite extends ContactDetails {
  contactId: string;
  asOf: Date;
  /** The details' search forms (domain/contacts.ts searchKeys). */
  keys: ContactSearchKeys;
}

/** The contact registry: which contacts a tenant that requires known contacts accepts transactions for, and who they are. */
export function contactsRepository(db: Db) {
  return {
    /** Adds contacts in one statement; re-adding a known one is harmless. */
    async add(tenantId: string, contactIds: readonly string[], now: Date): Promise<{ added: number; alreadyKnown: number }> {
      const unique = [...new Set(contactIds)].sort();
      const { rowCount } = await db.query(
        `INSERT INTO contact (tenant_id, contact_id, created_at) SELECT $1, id, $3 FROM unnest($2::uuid[]) AS id
         ON CONFLICT (tenant_id, contact_id) DO NOTHING`,
        [tenantId, unique, now],
      );
      const added = rowCount ?? 0;
      return { added, alreadyKnown: unique.length - added };
    },

    /**
     * Stores the details of many contacts in one statement, adding contacts
     * new to the registry. One write per contact (the caller keeps the
     * newest); a write as of a time before the details held, or before an
     * erasure, changes nothing. Answers the contact ids written.
     */
    async writeDetails(tenantId: string, writes: readonly DetailsWrite[], now: Date): Promise<Set<string>> {
      const sorted = [...writes].sort((a, b) => (a.contactId < b.contactId ? -1 : a.contactId > b.contactId ? 1 : 0));
      const column = <T>(pick: (write: DetailsWrite) => T) => sorted.map(pick);
      const keys = sorted.map((write) => write.keys);
      const { rows } = await db.query(
        `INSERT INTO contact AS c (tenant_id, contact_id, created_at, display_name, email, phone, member_number,
                                   name_key, email_key, phone_digits, phone_tail, member_number_key, details_at)
         SELECT $1, d.contact_id, $2, d.display_name, d.email, d.phone, d.member_number,
                d.name_key, d.email_key, d.phone_digits, d.phone_tail, d.member_number_key, d.details_at
           FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                       $12::text[], $13::timestamptz[])
             AS d (contact_id, display_name, email, phone, member_number, name_key, email_key, phone_digits, phone_tail,
                   member_number_key, details_at)
         ON CONFLICT (tenant_id, contact_id) DO UPDATE
            SET display_name = EXCLUDED.display_name, email = EXCLUDED.email, phone = EXCLUDED.phone,
                member_number = EXCLUDED.member_number, name_key = EXCLUDED.name_key, email_key = EXCLUDED.email_key,
                phone_digits = EXCLUDED.phone_digits, phone_tail = EXCLUDED.phone_tail,
                member_number_key = EXCLUDED.member_number_key, details_at = EXCLUDED.details_at
          WHERE (c.details_at IS NULL OR c.details_at <= EXCLUDED.details_at) AND (c.erased_at IS NULL OR c.erased_at < EXCLUDED.details_at)
         RETURNING c.contact_id AS "contactId"`,
        [
          tenantId,
          now,
          column((w) => w.contactId),
          column((w) => w.displayName ?? null),
          column((w) => w.email ?? null),
          column((w) => w.phone ?? null),
          column((w) => w.memberNumber ?? null),
          keys.map((k) => k.nameKey),
          keys.map((k) => k.emailKey),
          keys.map((k) => k.phoneDigits),
          keys.map((k) => k.phoneTail),
          keys.map((k) => k.memberNumberKey),
          column((w) => w.asOf),
        ],
      );
      return new Set(parseRows(z.object({ contactId: z.string() }), rows).map((row) => row.contactId));
    },

    /** Clears the personal data and its search forms, keeping the contact known; false when the tenant has no such contact. */
    async erasePersonalData(tenantId: string, contactId: string, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE contact SET display_name = NULL, email = NULL, phone = NULL, member_number = NULL, name_key = NULL, email_key = NULL,
                phone_digits = NULL, phone_tail = NULL, member_number_key = NULL, details_at = NULL, erased_at = $3
          WHERE tenant_id = $1 AND contact_id = $2`,
        [tenantId, contactId, now],
      );
      return rowCount === 1;
    },

    async list(tenantId: string, page: PageRequest): Promise<Page<KnownContactRecord>> {
      const { items, totalCount } = await pageOf(db, { columns: KNOWN_COLUMNS, from: 'contact WHERE tenant_id = $1', orderBy: 'contact_id' }, [tenantId], page);
      return { items: parseRows(knownContactRow, items), totalCount };
    },

    async find(tenantId: string, contactId: string): Promise<KnownContactRecord | null> {
      const { rows } = await db.query(`SELECT ${KNOWN_COLUMNS} FROM contact WHERE tenant_id = $1 AND contact_id = $2`, [tenantId, contactId]);
      return parseFirstRow(knownContactRow, rows);
    },

    /** The contact's personal details, or null when the tenant holds none. */
    async details(tenantId: string, contactId: string): Promise<ContactDetailsRecord | null> {
      const { rows } = await db.query(
        `SELECT ${DETAILS_COLUMNS} FROM contact
          WHERE tenant_id = $1 AND contact_id = $2 AND num_nonnulls(display_name, email, phone, member_number) > 0`,
        [tenantId, contactId],
      );
      return parseFirstRow(detailsRow, rows);
    },

    /**
     * Contacts whose email, phone, member number or name match, each found
     * through its own index: exact email, phone (tail index, then the ending
     * either way round) and member number; a name whose every word is
     * contained (trigram index), names that start with the text first.
     */
    async search(tenantId: string, search: ContactSearch & { kind: 'email' | 'text' }, limit: number): Promise<FoundContact[]> {
      const parts: string[] = [];
      const params: unknown[] = [tenantId];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (search.kind === 'email') {
        parts.push(`SELECT ${DETAILS_COLUMNS}, 'email' AS "matchedBy", 0 AS rank, display_name AS sort FROM contact
                     WHERE tenant_id = $1 AND email_key = ${param(search.emailKey)}`);
      } else {
        parts.push(`SELECT ${DETAILS_COLUMNS}, 'memberNumber' AS "matchedBy", 0 AS rank, display_name AS sort FROM contact
                     WHERE tenant_id = $1 AND member_number_key = ${param(search.memberNumberKey)}`);
        if (search.phone) {
          const ending = param(search.phone.ending);
          const digits = param(search.phone.digits);
          parts.push(`SELECT ${DETAILS_COLUMNS}, 'phone' AS "matchedBy", 1 AS rank, display_name AS sort FROM contact
                       WHERE tenant_id = $1 AND phone_tail = ${param(search.phone.tail)}
                         AND (right(phone_digits, length(${ending})) = ${ending}
                              OR right(${digits}, length(ltrim(phone_digits, '0'))) = ltrim(phone_digits, '0'))`);
        }
        if (search.nameWords) {
          const whole = param(search.nameWords.join(' '));
          const words = search.nameWords.map((word) => `name_key LIKE '%' || ${param(word)} || '%'`).join(' AND ');
          parts.push(`SELECT ${DETAILS_COLUMNS}, 'name' AS "matchedBy",
                             CASE WHEN name_key = ${whole} THEN 2 WHEN name_key LIKE ${whole} || '%' THEN 3 ELSE 4 END AS rank, display_name AS sort
                        FROM contact WHERE tenant_id = $1 AND ${words}`);
        }
      }
      // Each way of matching is bounded on its own, so a two-letter name cannot make the statement read the whole tenant's matches.
      const { rows } = await db.query(
        `SELECT "contactId", "displayName", email, phone, "memberNumber", "matchedBy"
           FROM (SELECT DISTINCT ON ("contactId") * FROM (${parts.map((part) => `(${part} ORDER BY rank LIMIT ${PART_LIMIT})`).join(' UNION ALL ')}) AS found
                  ORDER BY "contactId", rank) AS best
          ORDER BY rank, sort NULLS LAST, "contactId" LIMIT ${param(limit)}`,
        params,
      );
      return parseRows(foundRow, rows);
    },

    /** False when the tenant had no such contact. */
    async remove(tenantId: string, contactId: string): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM contact WHERE tenant_id = $1 AND contact_id = $2`, [tenantId, contactId]);
      return rowCount === 1;
    },

    /** Which of these contacts the tenant knows. */
    async known(tenantId: string, contactIds: readonly string[]): Promise<Set<string>> {
      const { rows } = await db.query(`SELECT contact_id AS "contactId" FROM contact WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[])`, [
        tenantId,
        contactIds,
      ]);
      return new Set(parseRows(z.object({ contactId: z.string() }), rows).map((row) => row.contactId));
    },
  };
}
