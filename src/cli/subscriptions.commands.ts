import { z } from 'zod';
import { tenantParams } from '../contracts/admin.ts';
import { createSubscriptionBody, subscriptionEventsQuery, updateSubscriptionBody } from '../contracts/subscriptions.ts';
import type { CliCommand, CliOptions } from './context.ts';

const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;
const idOf = (o: CliOptions) => z.uuid({ error: '--id must be a subscription id' }).parse(o.id);
/** `--encrypted` alone, or `--encrypted true|false`. */
const flag = (value: string | boolean | undefined) => (value === undefined ? undefined : value === true || value === 'true');
const eventsOf = (value: string | boolean | undefined) => (typeof value === 'string' ? value.split(',').map((event) => event.trim()) : undefined);

export const subscriptionCommands: Record<string, CliCommand> = {
  'subscriptions:create': {
    usage: '--tenant ID --url URL [--events point.balance.updated] [--encrypted] [--batch]   (prints the signing secret, once)',
    run: (s, o) =>
      s.subscriptions.create(
        tenantOf(o),
        createSubscriptionBody.parse({
          url: o.url,
          events: eventsOf(o.events) ?? ['point.balance.updated'],
          encrypted: flag(o.encrypted),
          batch: flag(o.batch),
        }),
      ),
  },
  'subscriptions:list': { usage: '--tenant ID', run: (s, o) => s.subscriptions.list(tenantOf(o)) },
  'subscriptions:show': { usage: '--tenant ID --id ID   (with its outbox by state)', run: (s, o) => s.subscriptions.get(tenantOf(o), idOf(o)) },
  'subscriptions:update': {
    usage: '--tenant ID --id ID [--url URL] [--events LIST] [--encrypted true|false] [--batch true|false]',
    run: (s, o) =>
      s.subscriptions.update(
        tenantOf(o),
        idOf(o),
        updateSubscriptionBody.parse(
          Object.fromEntries(
            Object.entries({ url: o.url, events: eventsOf(o.events), encrypted: flag(o.encrypted), batch: flag(o.batch) }).filter(([, v]) => v !== undefined),
          ),
        ),
      ),
  },
  'subscriptions:delete': {
    usage: '--tenant ID --id ID',
    run: async (s, o) => {
      await s.subscriptions.remove(tenantOf(o), idOf(o));
      return { deleted: true };
    },
  },
  'subscriptions:rotate': {
    usage: '--tenant ID --id ID   (prints the new signing secret, once)',
    run: (s, o) => s.subscriptions.rotateSecret(tenantOf(o), idOf(o)),
  },
  'subscriptions:events': {
    usage: '--tenant ID --id ID [--state Pending|Retrying|Delivered|Failed] [--offset N] [--count N]',
    run: (s, o) => s.subscriptions.events(tenantOf(o), idOf(o), subscriptionEventsQuery.parse({ state: o.state, offset: o.offset, count: o.count })),
  },
  'subscriptions:replay-failed': { usage: '--tenant ID --id ID', run: (s, o) => s.subscriptions.replayFailed(tenantOf(o), idOf(o)) },
};
