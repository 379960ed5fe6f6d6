import { z } from 'zod';
import { DELIVERY_STATES } from '../domain/deliveries.ts';
import { SUBSCRIPTION_EVENTS } from '../domain/balance-events.ts';
import { tenantParams } from './admin.ts';
import { anyCaseEnum, paging } from './common.ts';
import { outboundUrl } from './integrations.ts';

const events = z
  .array(z.enum(SUBSCRIPTION_EVENTS))
  .min(1, 'must name at least one event')
  .transform((list) => [...new Set(list)])
  .describe('The events it receives: point.balance.updated');

export const createSubscriptionBody = z.strictObject({
  url: outboundUrl.describe('Where the events are POSTed; the outbound address rules of the master webhook apply'),
  events,
  encrypted: z.boolean().default(false).describe("true: payloads are encrypted with the tenant's webhook encryption key (as loyalty.addPoints)"),
  batch: z.boolean().default(false).describe('Extension: true sends up to 1000 envelopes per request, as a JSON array'),
});

export const updateSubscriptionBody = z
  .strictObject({ url: outboundUrl.optional(), events: events.optional(), encrypted: z.boolean().optional(), batch: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one of url, events, encrypted, batch');

export const subscription = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    encrypted: z.boolean(),
    batch: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Subscription' });

export const createdSubscription = subscription
  .extend({ signingSecret: z.string().describe('Standard Webhooks secret (whsec_...). Shown only in this answer') })
  .meta({ id: 'SubscriptionCreated' });

export const subscriptionWithOutbox = subscription
  .extend({
    outbox: z
      .object({ pending: z.int(), retrying: z.int(), delivered: z.int(), failed: z.int() })
      .describe('Its outbox rows by state: one per account, holding the newest event not yet delivered, or the last delivered'),
  })
  .meta({ id: 'SubscriptionDetail' });

export const subscriptionList = z.object({ items: z.array(subscription) }).meta({ id: 'SubscriptionList' });
export const subscriptionParams = tenantParams.extend({ id: z.uuid() });
export const rotatedSubscriptionSecret = z.object({ signingSecret: z.string() }).meta({ id: 'SubscriptionSecret' });
export const replayedEvents = z.object({ replayed: z.int() }).meta({ id: 'ReplayedEvents' });

export const subscriptionEventsQuery = paging.extend({ state: anyCaseEnum(DELIVERY_STATES).optional() });
export const subscriptionEvents = z
  .object({
    items: z.array(
      z.object({
        accountId: z.int(),
        eventId: z.uuid(),
        version: z.int(),
        balance: z.number(),
        state: z.string(),
        attempts: z.int(),
        lastStatus: z.int().nullable(),
        lastError: z.string().nullable(),
        nextAttemptAt: z.string().nullable(),
        changedAt: z.string(),
      }),
    ),
    offset: z.int(),
    count: z.int(),
  })
  .meta({ id: 'SubscriptionEvents' });

/**
 * The operator pages' subscription form: a browser's form post (every field a
 * string, an unchecked box absent, one box per event named `event.<name>`)
 * read into the admin API's create body and checked with that same schema.
 */
export const subscriptionForm = z.preprocess((body) => {
  const fields = body as Record<string, string | undefined>;
  return {
    url: (fields.url ?? '').trim(),
    events: SUBSCRIPTION_EVENTS.filter((event) => fields[`event.${event}`] === 'on'),
    encrypted: fields.encrypted === 'on',
    batch: fields.batch === 'on',
  };
}, createSubscriptionBody);

/** The subscriptions page after a change: which one, for its confirmation. */
const SUBSCRIPTION_PAGE_NOTICES = ['deleted'] as const;
export const subscriptionsPageQuery = z.object({ done: z.enum(SUBSCRIPTION_PAGE_NOTICES).optional() });
