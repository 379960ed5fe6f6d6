import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { batchIsFinal, type Follower, pushBalance, pushTransactions, readSync, type TransactionRow } from './follower-client.ts';
import { Link, type LossyOptions } from './lossy-link.ts';
import { type Adjustment, type LevelChange, type MasterTransaction, PointMasterStore, problemWith, TransactionStream } from './store.ts';
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
  /**
   * The follower tenant's mode. balance-only (the default): an adjustment is
   * pushed back as the account's new balance. all-transaction: it is recorded
   * as a transaction of this master's stream, with the webhook's event id as
   * its externalId, and pushed as one.
   */
  mode?: 'balance-only' | 'all-transaction';
  /** Makes the link to the follower lossy (transaction pushes only): see lossy-link.ts. */
  lossy?: LossyOptions | null;
  /** Rows per transactions push (default 1000, the follower's limit). */
  batchSize?: number;
  logger?: FastifyServerOptions['logger'];
}

type RecoveryRound =
  | { state: 'waiting'; batchesInFlight: number }
  | { state: 'in-step'; contiguousThrough: number }
  | { state: 'resent'; from: number; rows: number; missingCount: number };

export interface PointMaster {
  app: FastifyInstance;
  store: PointMasterStore;
  /** The numbered transactions (all-transaction mode). */
  stream: TransactionStream;
  link: Link;
  /** Records the master's own transactions (sales, returns, ...) and pushes them. */
  record(transactions: readonly MasterTransaction[], at?: Date): Promise<void>;
  /** One round of the recovery loop (see recover below). */
  recover(): Promise<RecoveryRound>;
  /** Runs `recover` every `intervalMs` until the app closes. */
  startRecovery(intervalMs: number): void;
}

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * A reference point master for either mode of the follower:
 *   POST /webhooks/engage      receives adjustments: verify, de-duplicate, decrypt, apply, push the balance
 *                              (balance-only) or the adjustment as a transaction (all-transaction) back
 *                              and member level changes (loyalty.levelChanged): verify, de-duplicate, decrypt, keep
 *   GET  /points/{contactId}   serves the points log the follower shows on the contact card
 *   POST /transactions         (all-transaction) records the master's own transactions and pushes them
 * It keeps its books in memory (see PointMasterStore). It never listens by
 * itself: server.ts does, tests listen on 127.0.0.1 port 0.
 */
export function buildPointMaster(options: PointMasterOptions): PointMaster {
  const store = new PointMasterStore();
  const stream = new TransactionStream();
  const link = new Link(options.lossy ?? null);
  const follower: Follower = { url: options.followerUrl, apiKey: options.followerApiKey };
  const mode = options.mode ?? 'balance-only';
  const batchSize = options.batchSize ?? 1000;
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const app = Fastify({ logger: options.logger ?? true });
  // Balance pushes run after the webhook is answered; shutting down waits for them rather than cutting them off.
  const pushes = new Set<Promise<unknown>>();
  let recovery: NodeJS.Timeout | null = null;
  app.addHook('onClose', async () => {
    if (recovery) clearTimeout(recovery);
    recovery = null;
    await Promise.allSettled(pushes);
  });

  /** Batches the follower accepted and may not have applied yet: the recovery loop waits for them before it reads /sync. */
  const inFlight = new Set<string>();

  /** Pushes rows in order, `batchSize` per request, through the (perhaps lossy) link. */
  async function send(rows: readonly TransactionRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += batchSize) {
      const chunk = rows.slice(i, i + batchSize);
      await link.send(
        async () => {
          const { batchId } = await pushTransactions(follower, chunk);
          inFlight.add(batchId);
        },
        (err: unknown) => app.log.warn({ err, from: chunk[0]?.sequence }, 'transactions push failed; the recovery loop sends them again'),
      );
    }
    await link.flush();
  }

  async function record(transactions: readonly MasterTransaction[], at = new Date()): Promise<void> {
    const rows = transactions.map((t) => {
      store.book(t.contactId, t.definitionId, t.amount, t.description, at);
      return stream.append(t, at);
    });
    await send(rows);
  }

  /**
   * One round of the recovery loop. While batches it pushed are still being
   * applied it waits (they would show as gaps); then it reads the follower's
   * stream position and, when the follower is behind, sends every row from
   * contiguousThrough + 1 on again. Rows that did arrive come back as
   * duplicates and are not applied twice, so re-sending is always safe.
   */
  async function recover(): Promise<RecoveryRound> {
    for (const batchId of [...inFlight]) if (await batchIsFinal(follower, batchId)) inFlight.delete(batchId);
    if (inFlight.size > 0) return { state: 'waiting', batchesInFlight: inFlight.size };
    const position = await readSync(follower);
    if (position.contiguousThrough >= stream.lastSequence) return { state: 'in-step', contiguousThrough: position.contiguousThrough };
    const rows = stream.from(position.contiguousThrough + 1);
    app.log.info({ contiguousThrough: position.contiguousThrough, missingCount: position.missingCount, resending: rows.length }, 'follower behind: re-sending');
    await send(rows);
    return { state: 'resent', from: position.contiguousThrough + 1, rows: rows.length, missingCount: position.missingCount };
  }

  function startRecovery(intervalMs: number): void {
    const round = () => {
      recovery = setTimeout(() => {
        void recover()
          .catch((err: unknown) => app.log.warn({ err }, 'recovery round failed'))
          .finally(() => {
            if (recovery) round();
          });
      }, intervalMs);
    };
    round();
  }

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
      if (mode === 'all-transaction') {
        // 5. Record it in the stream with the event id as its externalId, which tells the follower
        //    exactly which adjustment came back. A lost push is caught by the recovery loop.
        const row = stream.append(
          {
            contactId: adjustment.ContactId,
            definitionId: adjustment.PointDefinitionId,
            amount: adjustment.Amount,
            source: adjustment.Source,
            description: adjustment.Description,
            externalId: id,
          },
          now,
        );
        request.log.info({ eventId: id, tenant: envelope.tenant, adjustment, sequence: row.sequence }, 'adjustment applied');
        const push = send([row]).finally(() => pushes.delete(push));
        pushes.add(push);
        return { status: 'applied', balance };
      }
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

  // The master's own transactions (sales, returns, ...), numbered and pushed like adjustments.
  app.post<{ Body: MasterTransaction[] }>('/transactions', async (request, reply) => {
    if (mode !== 'all-transaction') return reply.code(409).send({ error: 'this master serves a balance-only tenant' });
    const body = request.body as unknown;
    if (!Array.isArray(body) || body.length === 0) return reply.code(400).send({ error: 'send a non-empty array of transactions' });
    const first = stream.lastSequence + 1;
    await record(body as MasterTransaction[]);
    return { status: 'recorded', sequences: { from: first, to: stream.lastSequence } };
  });

  return { app, store, stream, link, record, recover, startRecovery };
}
