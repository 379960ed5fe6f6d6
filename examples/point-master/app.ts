import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { pushBalance } from './follower-client.ts';
import { type Adjustment, type LevelChange, PointMasterStore, problemWith } from './store.ts';
import { decryptPayload, verifySignature } from './webhook-crypto.ts';

export interface PointMasterOptions {
  /** The tenant's 32-character encryption key, from PUT /admin/v1/tenants/{id}/webhook on the follower. */
  encryptionKey: string;
  /** The tenant's whsec_ signing secret, from the same answer. */
  signingSecret: string;
  /** The follower's base URL, e.g. http://127.0.0.1:3000. */
  followerUrl: string;
  /** A tenant API key of the follower, used to push balances back. */
  followerApiKey: string;
  /** When set, GET /points/{contactId} requires `Authorization: Bearer <token>`. */
  pointsLogToken?: string | undefined;
  /** How far webhook-timestamp may be from now (default 300 s, as Standard Webhooks suggests). */
  toleranceSeconds?: number;
  logger?: FastifyServerOptions['logger'];
}

export interface PointMaster {
  app: FastifyInstance;
  store: PointMasterStore;
}

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * A reference point master for the follower's balance-only mode:
 *   POST /webhooks/engage      receives adjustments: verify, de-duplicate, decrypt, apply, push the balance back;
 *                              and member level changes (loyalty.levelChanged): verify, de-duplicate, decrypt, keep
 *   GET  /points/{contactId}   serves the points log the follower shows on the contact card
 * It keeps its books in memory (see PointMasterStore). It never listens by
 * itself: server.ts does, tests listen on 127.0.0.1 port 0.
 */
export function buildPointMaster(options: PointMasterOptions): PointMaster {
  const store = new PointMasterStore();
  const follower = { url: options.followerUrl, apiKey: options.followerApiKey };
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const app = Fastify({ logger: options.logger ?? true });
  // Balance pushes run after the webhook is answered; shutting down waits for them rather than cutting them off.
  const pushes = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled(pushes);
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get<{ Params: { contactId: string } }>('/points/:contactId', async (request, reply) => {
    if (options.pointsLogToken) {
      const given = header(request.headers.authorization)?.replace(/^Bearer /, '') ?? '';
      if (!sameSecret(given, options.pointsLogToken)) return reply.code(401).send({ error: 'unauthorized' });
    }
    return store.log(request.params.contactId);
  });

  app.register(async (webhooks) => {
    // The signature covers the body byte for byte, so this route keeps it as the raw string.
    webhooks.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    webhooks.post('/webhooks/engage', async (request, reply) => {
      const body = request.body as string;
      const id = header(request.headers['webhook-id']);
      const timestamp = header(request.headers['webhook-timestamp']);
      const signature = header(request.headers['webhook-signature']);
      if (!id || !timestamp || !signature) return reply.code(400).send({ error: 'missing webhook-id, webhook-timestamp or webhook-signature' });

      // 1. Origin and freshness, before anything else is read.
      const refusal = verifySignature({ id, timestamp, signature, body }, options.signingSecret, toleranceSeconds);
      if (refusal) return reply.code(401).send({ error: refusal });

      let envelope: { eventType?: string; id?: string; payload?: string; tenant?: string };
      try {
        envelope = JSON.parse(body) as typeof envelope;
      } catch {
        return reply.code(400).send({ error: 'the body is not JSON' });
      }
      if (envelope.id !== id) return reply.code(400).send({ error: 'the envelope id differs from webhook-id' });
      if (envelope.eventType === 'loyalty.levelChanged') {
        if (store.hasApplied(id)) return { status: 'duplicate' };
        let change: LevelChange;
        try {
          change = JSON.parse(decryptPayload(envelope.payload ?? '', options.encryptionKey)) as LevelChange;
        } catch {
          return reply.code(400).send({ error: 'the payload does not decrypt with this encryption key' });
        }
        store.recordLevelChange(id, change);
        request.log.info({ eventId: id, tenant: envelope.tenant, change }, 'member level change recorded');
        return { status: 'recorded' };
      }
      // Answer 2xx to events this master does not handle, or the follower would retry them for hours.
      if (envelope.eventType !== 'loyalty.addPoints') return reply.code(202).send({ status: 'ignored' });

      // 2. At-least-once delivery: the same event id may come again (after a timeout, a 5xx, a replay).
      if (store.hasApplied(id)) return { status: 'duplicate' };

      // 3. Decrypt and check the adjustment.
      let adjustment: Adjustment;
      try {
        adjustment = JSON.parse(decryptPayload(envelope.payload ?? '', options.encryptionKey)) as Adjustment;
      } catch {
        return reply.code(400).send({ error: 'the payload does not decrypt with this encryption key' });
      }
      const problem = problemWith(adjustment);
      if (problem) return reply.code(422).send({ error: problem });

      // 4. Apply it to the master's own books.
      const now = new Date();
      const balance = store.apply(id, adjustment, now);
      const by =
        adjustment.Source === 'Manual'
          ? { userId: adjustment.UserId, userName: adjustment.UserName }
          : { workflowId: adjustment.WorkflowId, reason: adjustment.Reason };
      request.log.info({ eventId: id, tenant: envelope.tenant, adjustment, balance, ...by }, 'adjustment applied');

      // 5. Sync the new balance to the follower. Not awaited: the webhook is answered
      //    as soon as the master has applied it. A real master would also re-sync
      //    on a schedule; here a failed push is only logged.
      const push = pushBalance(follower, { contactId: adjustment.ContactId, definitionId: adjustment.PointDefinitionId, amount: balance, timeStamp: now })
        .then(
          ({ batchId }) => request.log.info({ batchId, contactId: adjustment.ContactId, balance }, 'balance pushed to the follower'),
          (err: unknown) => request.log.warn({ err }, 'could not push the balance to the follower'),
        )
        .finally(() => pushes.delete(push));
      pushes.add(push);
      return { status: 'applied', balance };
    });
  });

  return { app, store };
}
