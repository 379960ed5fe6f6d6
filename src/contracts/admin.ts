import { z } from 'zod';
import { isTimeZone } from '../domain/levels.ts';
import { EXPIRY_OWNERS, TENANT_MODES } from '../domain/tenants.ts';
import { contactId, definitionId, INT32, shortName, storableText } from './common.ts';
import { personalDataHeld } from './contacts.ts';

const tenantMode = z.enum(TENANT_MODES);

const expiryOwner = z
  .enum(EXPIRY_OWNERS)
  .describe(
    "All-transaction mode: who takes what is left of a lot off at its validTo. 'follower' (default): the follower does, and records it as an Expiry entry. 'master': the master sends its expiry as negative rows; validTo is only shown",
  );

const tenantName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit');

const maxAdjustmentPoints = z
  .int()
  .min(1)
  .max(INT32.max)
  .describe('The most points one adjustment may give or remove (adjustments, rewardpointtransaction, the contact card); default 100,000');

export const createTenantBody = z.object({
  name: tenantName,
  mode: tenantMode,
  pointSystemActive: z.boolean().default(true),
  requireKnownContacts: z.boolean().default(false),
});

export const updateTenantBody = z
  .object({
    name: tenantName.optional().describe('A new name; unique after Unicode normalisation and case folding. Contact card users sign in with it from then on'),
    mode: tenantMode
      .optional()
      .describe('Switching carries each balance over: into the ledger as an OpeningBalance entry, or from the ledger as the new balance'),
    pointSystemActive: z.boolean().optional(),
    requireKnownContacts: z.boolean().optional().describe('Accept transactions only for contacts in the contact registry'),
    defaultDefinitionId: definitionId
      .nullable()
      .optional()
      .describe('The definition POST /api/v2/contacts/{contactId}/rewardpointtransaction adjusts; null: the lowest definition id'),
    timeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone name, e.g. Europe/Stockholm or UTC')
      .optional()
      .describe(
        "The tenant's time zone (default UTC): where its calendar years begin (member levels with a CalendarYear window), and how pushed times without an offset, or dates alone, are read",
      ),
    maxAdjustmentPoints: maxAdjustmentPoints.optional(),
    expiry: expiryOwner.optional(),
    expectedPushMinutes: z
      .int()
      .min(1)
      .max(525_600)
      .nullable()
      .optional()
      .describe('How often the master is expected to push, in minutes; the operator overview shows the tenant in red past it. null: no expectation'),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message:
      'give at least one of name, mode, pointSystemActive, requireKnownContacts, defaultDefinitionId, timeZone, maxAdjustmentPoints, expiry, expectedPushMinutes',
    path: [],
  });
export type TenantUpdate = z.output<typeof updateTenantBody>;

export const tenant = z
  .object({
    id: z.uuid(),
    name: z.string(),
    mode: tenantMode,
    pointSystemActive: z.boolean(),
    requireKnownContacts: z.boolean(),
    defaultDefinitionId: z.int().optional().describe('Absent when unset: rewardpointtransaction then adjusts the lowest definition id'),
    timeZone: z
      .string()
      .describe("IANA time zone where the tenant's calendar years begin (member levels) and pushed times without an offset are read; UTC unless set"),
    maxAdjustmentPoints: z.int().describe('The most points one adjustment may give or remove'),
    expiry: expiryOwner,
    expectedPushMinutes: z.int().optional().describe('How often the master is expected to push, in minutes; absent: no expectation'),
  })
  .meta({ id: 'Tenant' });

export const tenantParams = z.object({ tenantId: z.uuid() });

const ruleChange = z
  .object({
    accountId: z.int(),
    contactId: z.string(),
    definitionId: z.int(),
    recordedAt: z.string().describe('When the move to lots replayed the account'),
    before: z.object({ balance: z.number(), pendingPoints: z.number(), balanceExpires: z.string().optional() }),
    after: z.object({ balance: z.number(), pendingPoints: z.number(), balanceExpires: z.string().optional() }),
  })
  .meta({ id: 'LedgerRuleChange' });

const auditFigures = z.object({ balance: z.number(), pendingPoints: z.number(), balanceExpires: z.string().optional() });

export const ledgerAuditBody = z
  .object({ mend: z.boolean().optional().describe('Replay the accounts that split, so they serve their ledger’s figures again (default false)') })
  .optional();

export const ledgerAudit = z
  .object({
    checkedAt: z.string(),
    splits: z.array(z.object({ accountId: z.int(), contactId: z.string(), definitionId: z.int(), served: auditFigures, ledger: auditFigures })),
    mended: z.int().describe('How many accounts were replayed from their ledger'),
  })
  .meta({ id: 'LedgerAudit' });

export const ruleChangeList = z
  .object({ items: z.array(ruleChange), totalCount: z.int(), offset: z.int(), count: z.int() })
  .meta({ id: 'LedgerRuleChangeList' });

export const createDefinitionBody = z.object({
  id: definitionId,
  name: shortName,
  description: storableText.max(2000).optional(),
});

export const adminDefinition = z.object({ id: z.int(), name: z.string(), description: z.string().nullable() }).meta({ id: 'AdminPointDefinition' });

export const createApiKeyBody = z.object({ name: shortName });

export const createdApiKey = z
  .object({ id: z.uuid(), name: z.string(), key: z.string().describe('Shown only in this answer; store it now') })
  .meta({ id: 'CreatedApiKey' });

export const apiKeySummary = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyParams = tenantParams.extend({ id: z.uuid() });

/** Engage contact ids, as in every payload; up to 10,000 per call. */
export const addContactsBody = z.object({ contactIds: z.array(contactId).min(1).max(10_000) });

export const addedContacts = z.object({ added: z.int().describe('Contacts new to the registry'), alreadyKnown: z.int() }).meta({ id: 'AddedContacts' });

export const knownContact = z
  .object({
    contactId,
    createdAt: z.string(),
    personalData: personalDataHeld,
    personalDataAsOf: z.string().optional().describe('The time the details held are as of; absent when none are held'),
    personalDataErasedAt: z.string().optional().describe('When the personal data was last erased'),
  })
  .meta({ id: 'KnownContact' });

export const knownContactList = z
  .object({ items: z.array(knownContact), totalCount: z.int(), offset: z.int(), count: z.int() })
  .meta({ id: 'KnownContactList' });

export const contactParams = tenantParams.extend({ contactId });
