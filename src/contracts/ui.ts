import { z } from 'zod';
import { DRIFT_KINDS } from '../domain/reconciliations.ts';
import { createTenantBody } from './admin.ts';
import { AMOUNT_DECIMALS, AMOUNT_RANGE } from '../domain/amounts.ts';
import { anyCaseEnum, contactId, INT32, lineText, storableText } from './common.ts';
import { DELIVERY_STATES } from '../domain/deliveries.ts';
import { transactionFilter } from './transactions.ts';

/** The contact card's forms and addresses. Field names are those of the HTML forms. */

export const loginForm = z.object({
  tenant: storableText.trim().min(1, 'is required').max(100),
  username: storableText.trim().min(1, 'is required').max(100),
  password: z.string().min(1, 'is required').max(1024),
  next: z.string().max(2000).optional(),
});

export const adminLoginForm = z.object({
  token: z.string().min(1, 'is required').max(1024),
  next: z.string().max(2000).optional(),
});

export const loginPageQuery = z.object({
  tenant: z.string().max(100).optional(),
  next: z.string().max(2000).optional(),
});

export const contactSearchQuery = z.object({ contactId: z.string().max(200).default('') });

/** The card search form: a contact id, name, email, phone or member number. */
export const contactSearchForm = z.object({ q: z.string().max(200, 'must be at most 200 characters').default('') });

export const cardParams = z.object({ contactId });

/** A history page: which account (by definition), which entries, and where in them. */
const cardQuery = z.object({
  definition: z.coerce.number().int().positive().max(INT32.max).optional(),
  filter: transactionFilter.default('All'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** Rows per history page. */
export const HISTORY_PAGE_SIZE = 20;

/**
 * The give-or-remove-points form. The amount is typed as a positive number,
 * with up to 4 decimal places after a point (the card is en-GB), and the
 * direction chosen apart, so nobody removes points by forgetting a minus
 * sign; it becomes a Manual adjustment signed by the direction.
 */
/** The longest reason the card takes; the API's description limit is the same. */
export const REASON_MAX_CHARS = 1000;

/**
 * A number as people type it: thousands may be separated by commas or spaces
 * ("1,000", "12 500.5") and are read as such; a comma anywhere else (a decimal
 * comma, "12,5") is refused with words that say how to write it.
 */
export const typedNumber = z
  .string({ error: 'is required' })
  .trim()
  .transform((value, ctx) => {
    if (/^[-−]?\d{1,3}([,  \u202f]\d{3})+(\.\d+)?$/.test(value)) return value.replace(/[,  \u202f]/g, '');
    if (/^[-−]?\d+,\d+$/.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `has a comma: write decimals with a point, like ${value.replace(',', '.')}; a comma only separates thousands, like 1,000`,
      });
      return z.NEVER;
    }
    return value;
  });

const amountField = typedNumber
  .superRefine((value, ctx) => {
    const signed = /^[-−]\s*(\d+(?:\.\d+)?)$/.exec(value);
    if (signed) ctx.addIssue({ code: 'custom', message: `has a minus sign: to take points away, choose “Remove points” and enter ${signed[1]}` });
    else if (/^\d+\.\d{5,}$/.test(value)) ctx.addIssue({ code: 'custom', message: `must have at most ${AMOUNT_DECIMALS} decimal places, like 12.5` });
    else if (!/^\d+(\.\d+)?$/.test(value))
      ctx.addIssue({ code: 'custom', message: value === '' ? 'is required' : 'must be a number of points, like 250 or 12.5' });
  })
  .transform(Number)
  .pipe(z.number().positive('must be more than 0').max(AMOUNT_RANGE.max, 'is too large'));

export const adjustmentForm = z.object({
  definitionId: z.coerce.number({ error: 'choose a point definition' }).int().positive('choose a point definition').max(INT32.max),
  direction: z.enum(['give', 'remove'], { error: 'choose whether to give or remove points' }),
  amount: amountField,
  description: lineText
    .trim()
    .min(1, 'is required: say why, e.g. "Complaint 4411: late delivery"')
    .max(REASON_MAX_CHARS, `is longer than ${REASON_MAX_CHARS.toLocaleString('en-GB')} characters; shorten it`),
  /** Drawn afresh for each rendering of the form (and by the page script after each send): a double click sends once. */
  idempotencyKey: z.uuid('must be the key the form was given').optional(),
  /** Set by the confirmation step of a large adjustment: what was confirmed (see domain/adjustments.ts confirmationOf). */
  confirmed: z.string().max(100).optional(),
});
/** After a form post without script: which adjustment was just sent, to confirm it on the card. */
export const cardQueryAfterSend = cardQuery.extend({ sent: z.uuid().optional() });

/** The operator's deliveries page: one tenant's webhook deliveries, by state. */
export const deliveriesPageQuery = z.object({
  tenant: z.union([z.uuid(), z.literal('')]).optional(),
  state: anyCaseEnum(DELIVERY_STATES).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  replayed: z.uuid().optional(),
  replayedAll: z.coerce.number().int().min(0).optional(),
});

/** The drifts page of one reconciliation, on /ui/admin. */
export const reconciliationPageParams = z.object({ tenantId: z.uuid(), id: z.uuid() });
export const RECONCILIATION_DRIFTS_PAGE_SIZE = 100;
export const reconciliationPageQuery = z.object({
  kind: anyCaseEnum(DRIFT_KINDS).optional(),
  offset: z.coerce.number().int().min(0).max(100_000_000).default(0),
  /** After "Repair these accounts": the repair reconciliation just started. */
  repairedBy: z.uuid().optional(),
});

export const replayForm = z.object({ tenantId: z.uuid(), id: z.uuid() });
export const replayAllForm = z.object({ tenantId: z.uuid() });

/** Rows per deliveries page. */
export const DELIVERIES_PAGE_SIZE = 50;

/**
 * The operator's create-a-tenant form, read into the admin API's create body
 * and checked by that same schema, so both refuse the same input. An
 * unchecked box is absent from a form post; a checked one sends "on".
 */
export const tenantForm = z.preprocess((body) => {
  const fields = body as Record<string, string | undefined>;
  return {
    name: fields.name ?? '',
    mode: fields.mode ?? '',
    pointSystemActive: fields.pointSystemActive === 'on',
    requireKnownContacts: fields.requireKnownContacts === 'on',
  };
}, createTenantBody);

/** What was just done on a tenant's page on /ui/admin, for its confirmation; `id` names the key or user. */
const TENANT_PAGE_NOTICES = ['tenant-created', 'key-revoked', 'user-created', 'user-disabled', 'user-enabled', 'password-reset'] as const;
export type TenantPageNotice = (typeof TENANT_PAGE_NOTICES)[number];
export const tenantPageParams = z.object({ tenantId: z.uuid() });
export const tenantPageQuery = z.object({ done: anyCaseEnum(TENANT_PAGE_NOTICES).optional(), id: z.uuid().optional() });
export const apiKeyPageParams = tenantPageParams.extend({ id: z.uuid() });
export const uiUserPageParams = tenantPageParams.extend({ id: z.uuid() });

/**
 * A contact card user made on the operator pages: an empty password asks for
 * a generated one. The fields are then checked by the admin API's schema.
 */
export const uiUserForm = z.object({
  username: z.string().default(''),
  displayName: z.string().default(''),
  password: z.string().default(''),
});
export const passwordResetForm = z.object({ password: z.string().default('') });
