import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { BalanceEventRow, BalanceUpdatedEventType } from '../domain/balance-events.ts';
import type { AttemptOutcome } from '../domain/deliveries.ts';
import { figuresAt } from './ledger.repository.ts';
import type { Db } from './pool.ts';
import { parseFirstRow, parseRows } from './rows.ts';
import type { PageRequest } from './pages.ts';

/**
 * The accounts a change set touched, as account ids (with, for a change time
 * made, the instant the account's figures were due to change from), as
 * (contact, definition) pairs (a push), or as the drifts of a reconciliation
 * (its repair).
 */
export type ChangedAccounts =
  | { ids: readonly number[]; dueFrom?: readonly (Date | null)[] }
  | { keys: readonly { contactId: string; definitionId: number }[] }
  | { reconciliationId: string }
  /** Every account of the tenant: a change of rule (a mode switch, a new expiry owner) may move any figure. */
  | { allAccounts: true };

/** The event the outbox carries (domain/balance-events.ts). */
const BALANCE_UPDATED_EVENT: BalanceUpdatedEventType = 'point.balance.updated';

const touchedSql = {
  all: `SELECT a.id, a.balance, t.mode, NULL::timestamptz AS due_from FROM point_account a JOIN tenant t ON t.id = a.tenant_id WHERE a.tenant_id = $1`,
  ids: `SELECT a.id, a.balance, t.mode, acc.due_from
          FROM unnest($4::bigint[], $5::timestamptz[]) AS acc(id, due_from)
          JOIN tenant t ON t.id = $1
          JOIN point_account a ON a.tenant_id = $1 AND a.id = acc.id`,
  keys: `SELECT a.id, a.balance, t.mode, NULL::timestamptz AS due_from
           FROM unnest($4::uuid[], $5::int[]) AS acc(contact_id, definition_id)
           JOIN tenant t ON t.id = $1
           JOIN point_account a ON a.tenant_id = $1 AND a.contact_id = acc.contact_id AND a.definition_id = acc.definition_id`,
  drifts: `SELECT a.id, a.balance, t.mode, NULL::timestamptz AS due_from
             FROM reconciliation_drift d
             JOIN tenant t ON t.id = $1
             JOIN point_account a ON a.tenant_id = $1 AND a.contact_id = d.contact_id AND a.definition_id = d.definition_id
            WHERE d.tenant_id = $1 AND d.reconciliation_id = $4`,
};

/**
 * Figures served now ($2) for the accounts of `touched` (over columns id,
 * balance, mode, due_from), by the tenant's mode: the pushed balance in
 * balance-only mode; the ledger rule (ledger_walk) in all-transaction mode.
 * Nothing at all when the tenant has no subscriber ($3: the event type), so
 * a tenant without one pays one index probe per change set.
 */
const figuresSql = (touched: string) => `
subs AS MATERIALIZED (
  SELECT s.id FROM event_subscription s WHERE s.tenant_id = $1 AND $3 = ANY (s.events)
), account AS MATERIALIZED (
  SELECT DISTINCT ON (x.id) x.* FROM (${touched}) x
   WHERE EXISTS (SELECT 1 FROM subs) ORDER BY x.id
), figures AS (
  SELECT account.id, account.due_from, account.balance, NULL::timestamptz AS expires FROM account WHERE account.mode = 'balance-only'
  UNION ALL
  SELECT f.account_id, account.due_from, f.balance, f.expires
    FROM ${figuresAt('$1', `ARRAY(SELECT id FROM account WHERE mode = 'all-transaction' ORDER BY id)`, 'ARRAY[$2::timestamptz]')} f
    JOIN account ON account.id = f.account_id
)`;

/**
 * When a change took effect: now ($2), except for a change time made (the
 * account was due to change from due_from), which took effect at the last
 * instant between then and now at which one of its lots turned active or
 * expired or a deduction came due.
 */
const CHANGED_AT_SQL = `COALESCE((
  SELECT max(v.t) FROM ledger_entry le CROSS JOIN LATERAL (VALUES (le.valid_from), (le.valid_to)) AS v(t)
   WHERE f.due_from IS NOT NULL AND le.tenant_id = $1 AND le.account_id = f.id AND le.type <> 'Expiry' AND v.t BETWEEN f.due_from AND $2), $2)`;

/**
 * One change set: each touched account whose served figures differ from
 * those last announced gets the next version (account_event_state), and each
 * subscription one outbox row for it at that version, which overwrites an
 * older one not yet delivered (that event is dropped, never sent). An account
 * whose figures are as announced gets nothing. Answers the subscriptions
 * that got events, so their delivery can be queued after commit.
 */
const RECORD_SQL = (touched: string) => `
WITH ${figuresSql(touched)}, changed AS (
  INSERT INTO account_event_state AS s (tenant_id, account_id, version, balance, balance_expires, changed_at)
  SELECT $1, f.id, 1, f.balance, f.expires, ${CHANGED_AT_SQL} FROM figures f ORDER BY f.id
  ON CONFLICT (tenant_id, account_id) DO UPDATE
     SET version = s.version + 1, balance = EXCLUDED.balance, balance_expires = EXCLUDED.balance_expires, changed_at = EXCLUDED.changed_at
   WHERE (s.balance, s.balance_expires) IS DISTINCT FROM (EXCLUDED.balance, EXCLUDED.balance_expires)
  RETURNING s.account_id, s.version, s.balance, s.balance_expires, s.changed_at
), queued AS (
  INSERT INTO balance_event AS e
    (subscription_id, account_id, tenant_id, event_id, version, balance, balance_expires, changed_at, state, next_attempt_at, created_at, updated_at)
  SELECT subs.id, c.account_id, $1, gen_random_uuid(), c.version, c.balance, c.balance_expires, c.changed_at, 'Pending', $2, $2, $2
    FROM changed c CROSS JOIN subs ORDER BY subs.id, c.account_id
  ON CONFLICT (tenant_id, subscription_id, account_id) DO UPDATE
     SET event_id = EXCLUDED.event_id, version = EXCLUDED.version, balance = EXCLUDED.balance, balance_expires = EXCLUDED.balance_expires,
         changed_at = EXCLUDED.changed_at, state = 'Pending', failures = 0, next_attempt_at = EXCLUDED.next_attempt_at, updated_at = EXCLUDED.updated_at
   WHERE e.version < EXCLUDED.version
  RETURNING e.subscription_id
)
SELECT DISTINCT subscription_id AS "subscriptionId" FROM queued`;

/**
 * The figures of every account of the tenant as they stand, taken as announced
 * without an event (versions kept): what a tenant's first subscriber starts
 * from, so it hears of changes from then on and a sync that changes nothing
 * sends nothing.
 */
const SEED_SQL = `
WITH ${figuresSql(touchedSql.all)}
INSERT INTO account_event_state AS s (tenant_id, account_id, version, balance, balance_expires, changed_at)
SELECT $1, f.id, 0, f.balance, f.expires, $2 FROM figures f ORDER BY f.id
ON CONFLICT (tenant_id, account_id) DO UPDATE SET balance = EXCLUDED.balance, balance_expires = EXCLUDED.balance_expires, changed_at = EXCLUDED.changed_at`;

// An outbox row may be sent when it is due and nobody holds an unexpired lease on it.
const sendable = (now: string) => `e.state IN ('Pending', 'Retrying') AND e.next_attempt_at <= ${now} AND (e.lease_until IS NULL OR e.lease_until <= ${now})`;

/**
 * Leases up to $4 rows of subscription $1 (tenant $6) that may be sent now ($2), oldest
 * first; SKIP LOCKED lets several senders share a subscription, and one row
 * per account means two senders never hold two versions of one account.
 * The lease is written to the rows picked by their physical address (ctid),
 * which cannot change while this statement holds their locks: joined by key,
 * a planner that took the subscription for a small one (no statistics yet)
 * compared every picked row with every row of the subscription (a million
 * comparisons for a round of 1,000 among 2,000 events).
 */
const CLAIM_SQL = `
WITH picked AS (
  SELECT e.ctid AS row_address FROM balance_event e WHERE e.tenant_id = $6 AND e.subscription_id = $1 AND ${sendable('$2')}
   ORDER BY e.next_attempt_at, e.account_id LIMIT $4 FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE balance_event e SET lease_token = $3, lease_until = $2::timestamptz + make_interval(secs => $5), updated_at = $2
    FROM picked WHERE e.ctid = picked.row_address
  RETURNING e.ctid AS row_address, e.tenant_id, e.account_id, e.event_id, e.version, e.balance, e.balance_expires, e.changed_at, e.failures
)
SELECT c.row_address::text AS "rowAddress", c.account_id AS "accountId", c.event_id AS "eventId", c.version, c.balance, c.balance_expires AS "balanceExpires", c.changed_at AS "changedAt",
       c.failures, a.contact_id AS "contactId", a.definition_id AS "definitionId"
  FROM claimed c JOIN point_account a ON a.tenant_id = c.tenant_id AND a.id = c.account_id
 ORDER BY c.account_id`;

/**
 * Stores each row's outcome and gives up the lease, for the rows of lease $1
 * that `match` finds (at $2, the attempt made at $3). A row a newer change
 * overwrote while it was being sent keeps the newer event, still Pending:
 * only the attempt is counted. Answers the accounts it stored.
 */
const recordOutcomesSql = (match: string) => `
UPDATE balance_event e
   SET state = CASE WHEN e.event_id = o.event_id THEN o.state::delivery_state ELSE e.state END,
       failures = CASE WHEN e.event_id = o.event_id THEN o.failures ELSE e.failures END,
       next_attempt_at = CASE WHEN e.event_id = o.event_id THEN o.next_at ELSE e.next_attempt_at END,
       delivered_at = CASE WHEN e.event_id = o.event_id AND o.state = 'Delivered' THEN $2 ELSE e.delivered_at END,
       attempts = e.attempts + 1, last_attempt_at = $3, last_status = o.status, last_error = o.error,
       lease_token = NULL, lease_until = NULL, updated_at = $2
  FROM unnest($4::bigint[], $5::uuid[], $6::text[], $7::int[], $8::timestamptz[], $9::int[], $10::text[], $11::tid[])
    AS o(account_id, event_id, state, failures, next_at, status, error, row_address)
 WHERE ${match} AND e.lease_token = $1 AND e.account_id = o.account_id
RETURNING e.account_id`;

/**
 * The rows where the claim left them ($11: nobody changed them since), found
 * without reading the subscription's other rows: by key, a planner that took
 * the subscription for a small one (no statistics yet) read all of its rows
 * for every round.
 */
const RECORD_AT_ADDRESSES_SQL = recordOutcomesSql('e.ctid = o.row_address');
/** By key (tenant $12, subscription $13, the account), for the few rows a newer change moved since the claim. */
const RECORD_BY_KEY_SQL = recordOutcomesSql('e.tenant_id = $12 AND e.subscription_id = $13');

const claimedRow = z.object({
  rowAddress: z.string(),
  accountId: z.number().int(),
  eventId: z.string(),
  version: z.number().int(),
  balance: z.number(),
  balanceExpires: z.date().nullable(),
  changedAt: z.date(),
  failures: z.number().int(),
  contactId: z.string(),
  definitionId: z.number().int(),
}) satisfies z.ZodType<BalanceEventRow & { rowAddress: string }>;
const accountIdRow = z.object({ account_id: z.number().int() });

/** A sender's hold on the rows it claimed: the token written to them, and where each account's row was left (its ctid). */
export interface EventLease {
  token: string;
  addresses: ReadonlyMap<number, string>;
}

const subscriptionIdRow = z.object({ subscriptionId: z.string() });
const dueRow = z.object({ tenantId: z.string(), subscriptionId: z.string() });
const countsRow = z.object({ pending: z.number().int(), retrying: z.number().int(), delivered: z.number().int(), failed: z.number().int() });
export type OutboxCounts = z.output<typeof countsRow>;

/** One outbox row of a subscription as operators see it. */
const eventRecordRow = z.object({
  accountId: z.number().int(),
  eventId: z.string(),
  version: z.number().int(),
  balance: z.number(),
  state: z.string(),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.date().nullable(),
  changedAt: z.date(),
});
export type BalanceEventRecord = z.output<typeof eventRecordRow>;

/**
 * A tenant's announcements and its new subscriptions exclude each other: a
 * change set holds this transaction lock shared from its RECORD_SQL until it
 * commits, a new subscription holds it alone. So a subscription is either
 * seen by a change set's RECORD_SQL (which then sends it the change), or
 * committed after the change set, whose figures it then starts from: a
 * change that commits while a subscription is being made is never lost to it.
 */
const ANNOUNCE_LOCK = (mode: 'shared' | 'alone') =>
  `SELECT ${mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(28021, hashtext($1::text))`;

/** The outbox of point.balance.updated (balance_event) and the figures last announced per account (account_event_state). */
export function balanceEventsRepository(db: Db) {
  return {
    /** See RECORD_SQL; call it in the transaction of the change, after the change. Answers the subscriptions that got events. */
    async record(tenantId: string, accounts: ChangedAccounts, now: Date): Promise<string[]> {
      let query: [string, unknown[]];
      if ('allAccounts' in accounts) query = [RECORD_SQL(touchedSql.all), []];
      else if ('reconciliationId' in accounts) query = [RECORD_SQL(touchedSql.drifts), [accounts.reconciliationId]];
      else if ('keys' in accounts) {
        if (accounts.keys.length === 0) return [];
        query = [RECORD_SQL(touchedSql.keys), [accounts.keys.map((k) => k.contactId), accounts.keys.map((k) => k.definitionId)]];
      } else {
        if (accounts.ids.length === 0) return [];
        query = [RECORD_SQL(touchedSql.ids), [accounts.ids, accounts.dueFrom ?? accounts.ids.map(() => null)]];
      }
      // Its own statement: RECORD_SQL's snapshot is taken once the lock is held, so it sees a subscription committed meanwhile.
      await db.query(ANNOUNCE_LOCK('shared'), [tenantId]);
      const { rows } = await db.query(query[0], [tenantId, now, BALANCE_UPDATED_EVENT, ...query[1]]);
      return parseRows(subscriptionIdRow, rows).map((row) => row.subscriptionId);
    },

    /** For a new subscription's transaction, before anything else: waits for the tenant's change sets under way to commit (see ANNOUNCE_LOCK). */
    async holdAnnouncements(tenantId: string): Promise<void> {
      await db.query(ANNOUNCE_LOCK('alone'), [tenantId]);
    },

    /** See SEED_SQL. */
    async seed(tenantId: string, now: Date): Promise<void> {
      await db.query(SEED_SQL, [tenantId, now, BALANCE_UPDATED_EVENT]);
    },

    /** See CLAIM_SQL: the rows leased, and the lease to record their outcome with. */
    async claim(tenantId: string, subscriptionId: string, now: Date, limit: number, leaseMs: number): Promise<{ lease: EventLease; rows: BalanceEventRow[] }> {
      const token = randomUUID();
      const { rows } = await db.query(CLAIM_SQL, [subscriptionId, now, token, limit, leaseMs / 1000, tenantId]);
      const claimed = parseRows(claimedRow, rows);
      return {
        lease: { token, addresses: new Map(claimed.map((row) => [row.accountId, row.rowAddress])) },
        rows: claimed.map(({ rowAddress: _, ...row }) => row),
      };
    },

    /** Stores the outcomes of a lease (RECORD_AT_ADDRESSES_SQL, then RECORD_BY_KEY_SQL for any row that moved). */
    async recordOutcomes(
      tenantId: string,
      subscriptionId: string,
      lease: EventLease,
      outcomes: readonly { row: BalanceEventRow; outcome: AttemptOutcome }[],
      attemptedAt: Date,
      now: Date,
    ): Promise<void> {
      const record = (sql: string, some: readonly { row: BalanceEventRow; outcome: AttemptOutcome }[], ...more: unknown[]) =>
        db.query(sql, [
          lease.token,
          now,
          attemptedAt,
          some.map((o) => o.row.accountId),
          some.map((o) => o.row.eventId),
          some.map((o) => o.outcome.state),
          some.map((o) => o.outcome.failures),
          some.map((o) => o.outcome.nextAttemptAt),
          some.map((o) => o.outcome.lastStatus),
          some.map((o) => o.outcome.lastError),
          some.map((o) => lease.addresses.get(o.row.accountId) ?? null),
          ...more,
        ]);
      const { rows } = await record(RECORD_AT_ADDRESSES_SQL, outcomes);
      const stored = new Set(parseRows(accountIdRow, rows).map((row) => row.account_id));
      const moved = outcomes.filter((o) => !stored.has(o.row.accountId));
      if (moved.length > 0) await record(RECORD_BY_KEY_SQL, moved, tenantId, subscriptionId);
    },

    /** Subscriptions (of every tenant) with an event that may be sent now: the recovery sweep queues their delivery. */
    async subscriptionsDue(now: Date): Promise<{ tenantId: string; subscriptionId: string }[]> {
      const { rows } = await db.query(
        `SELECT s.tenant_id AS "tenantId", s.id AS "subscriptionId" FROM event_subscription s
          WHERE EXISTS (SELECT 1 FROM balance_event e WHERE e.tenant_id = s.tenant_id AND e.subscription_id = s.id AND ${sendable('$1')})`,
        [now],
      );
      return parseRows(dueRow, rows);
    },

    /**
     * When the subscription's next retry is due, or null when none waits. Only
     * events still to send have a next_attempt_at (Pending and Retrying), so
     * this is the first entry of balance_event_due_idx; asked by state, it
     * read every event the subscription ever delivered.
     */
    async nextRetryAt(tenantId: string, subscriptionId: string): Promise<Date | null> {
      const { rows } = await db.query(
        `SELECT min(next_attempt_at) AS at FROM balance_event WHERE tenant_id = $1 AND subscription_id = $2 AND next_attempt_at IS NOT NULL`,
        [tenantId, subscriptionId],
      );
      return parseFirstRow(z.object({ at: z.date().nullable() }), rows)?.at ?? null;
    },

    /** Sends the subscription's dead letters again, each with a fresh retry schedule; answers how many. */
    async replayFailed(tenantId: string, subscriptionId: string, now: Date): Promise<number> {
      const { rowCount } = await db.query(
        `UPDATE balance_event SET state = 'Pending', failures = 0, next_attempt_at = $3, updated_at = $3
          WHERE tenant_id = $1 AND subscription_id = $2 AND state = 'Failed'`,
        [tenantId, subscriptionId, now],
      );
      return rowCount ?? 0;
    },

    async counts(tenantId: string, subscriptionId: string): Promise<OutboxCounts> {
      const { rows } = await db.query(
        `SELECT (count(*) FILTER (WHERE state = 'Pending'))::int AS pending, (count(*) FILTER (WHERE state = 'Retrying'))::int AS retrying,
                (count(*) FILTER (WHERE state = 'Delivered'))::int AS delivered, (count(*) FILTER (WHERE state = 'Failed'))::int AS failed
           FROM balance_event WHERE tenant_id = $1 AND subscription_id = $2`,
        [tenantId, subscriptionId],
      );
      return countsRow.parse(rows[0]);
    },

    /** The subscription's outbox rows not delivered (or all, with `all`), oldest change first. */
    async list(tenantId: string, subscriptionId: string, page: PageRequest & { state?: string | undefined }): Promise<BalanceEventRecord[]> {
      const { rows } = await db.query(
        `SELECT account_id AS "accountId", event_id AS "eventId", version, balance, state, attempts, last_status AS "lastStatus", last_error AS "lastError",
                next_attempt_at AS "nextAttemptAt", changed_at AS "changedAt"
           FROM balance_event WHERE tenant_id = $1 AND subscription_id = $2 AND ($3::delivery_state IS NULL OR state = $3)
          ORDER BY changed_at, account_id OFFSET $4 LIMIT $5`,
        [tenantId, subscriptionId, page.state ?? null, page.offset, page.count],
      );
      return parseRows(eventRecordRow, rows);
    },

    /** The whole outbox's size (rows not yet delivered), across tenants: the bench's peak and a metric. */
    async backlog(): Promise<number> {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM balance_event WHERE state IN ('Pending', 'Retrying')`);
      return parseFirstRow(z.object({ n: z.number().int() }), rows)?.n ?? 0;
    },
  };
}
