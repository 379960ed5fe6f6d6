import { z } from 'zod';
import { phoneDigits, PHONE_MIN_DIGITS } from '../domain/contacts.ts';
import { contactId, isoDateTime, lineText } from './common.ts';

/**
 * A contact's personal details: who the contact card shows, and what its
 * search finds. Personal data: only the tenant's contact card users see it;
 * answers to the admin and tenant APIs say which fields are held, never
 * their values.
 */
const text = (max: number) => lineText.trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Wide enough for what shops keep, narrow enough to refuse a sentence pasted in the wrong column. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const contactDetailFields = {
  displayName: text(200).optional().describe('The name people know the contact by, e.g. "Anna Lindqvist"'),
  email: text(254)
    .refine((value) => EMAIL.test(value), 'must be an email address, like anna@example.com')
    .optional()
    .describe('Found by the card search in any case'),
  phone: text(40)
    .refine(
      (value) => /^\+?[\d\s().-]+$/.test(value) && phoneDigits(value).length >= PHONE_MIN_DIGITS && phoneDigits(value).length <= 17,
      `must be a phone number: ${PHONE_MIN_DIGITS} to 17 digits, with spaces, "+", "-", "(", ")" or "." if you like`,
    )
    .optional()
    .describe('Best with its country code (+46 70 123 45 67); the card search also finds it typed in national form (070-123 45 67)'),
  memberNumber: text(64).optional().describe("The number on the member's card; the search ignores case, spaces and hyphens"),
};

/** PUT /admin/v1/tenants/{id}/contacts/{contactId}: the contact's details as a whole; a field left out is held no more. */
export const contactDetailsBody = z.object(contactDetailFields).meta({ id: 'ContactDetails' });

const contactDetailsItem = z
  .object({
    contactId,
    timeStamp: isoDateTime.describe("When the master's record was as sent; details older than those held, or than an erasure, are not stored"),
    ...contactDetailFields,
  })
  .meta({ id: 'ContactDetailsItem' });
export type ContactDetailsItem = z.output<typeof contactDetailsItem>;

export const contactDetailsPushBody = z.array(contactDetailsItem).min(1, 'must contain at least one item');

export const contactDetailsPushAnswer = z
  .object({
    status: z.enum(['Completed', 'CompletedWithErrors']).describe('CompletedWithErrors: some items were not stored, each named in messages'),
    itemCount: z.int(),
    appliedCount: z.int(),
    skippedCount: z.int(),
    messages: z.array(z.object({ message: z.string(), timeStamp: z.string() })),
  })
  .meta({ id: 'ContactDetailsPushResult' });

/** Which personal fields the follower holds for a contact, never their values. */
export const personalDataHeld = z
  .object({ displayName: z.boolean(), email: z.boolean(), phone: z.boolean(), memberNumber: z.boolean() })
  .describe('Which personal fields are held; the values are shown only to the tenant’s contact card users')
  .meta({ id: 'PersonalDataHeld' });
