import { randomUUID } from 'node:crypto';
import { type TransactionFilter, type TransactionsAccepted, transactionRow } from '../contracts/transactions.ts';
import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { checkTransactionRows, echoRow, planTransactions, referencedIds } from '../domain/ledger.ts';
import { indexEntries } from '../domain/sync.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AdmitToBacklog } from './backlog.ts';
import { type Answered, type KeyHold, storeAnswer, underIdempotencyKey } from './idempotency.ts';
import { ensurePointSystemActive, tenantChangedMeanwhile } from './guards.ts';
import type { QueueBatch } from './queueing.ts';
import { answerBeforeCommit } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

/** Engage answers both cases with the same title. */
function ensureNewPointSystem(tenant: TenantRecord): void {
  ensurePointSystemActive(tenant);
  if (tenant.mode !== 'all-transaction') {
    throw new AppError('point_system_inactive', `Tenant ${tenant.name} is in ${tenant.mode} mode; transactions are accepted only in all-transaction mode`);
  }
}

export type AccountSelector = { accountId: number } | { accountGuid: string } | { contactId: string; definitionId: number };

/**
 * Point transactions (all-transaction mode): POST's row-by-row checks, a
 * durable batch and the Idempotency-Key contract; and the ledger's reads.
 */
export function transactionsService(deps: { db: Database; clock: Clock; log: Logger; queueBatch: QueueBatch; admitToBacklog: AdmitToBacklog }) {
  const { db, clock, log, queueBatch, admitToBacklog } = deps;

  async function store(tenant: TenantRecord, rows: unknown[], now: Date, hold: KeyHold | null): Promise<TransactionsAccepted> {
    const checks = checkTransactionRows(rows, now, tenant.timeZone, (row) => transactionRow.safeParse(row));
    const ids = referencedIds(checks);
    const [definitions, knownContacts, identified] = await Promise.all([
      db.definitions.known(tenant.id, ids.definitionIds),
      tenant.requireKnownContacts ? db.contacts.known(tenant.id, ids.contactIds) : null,
      db.ledger.findIdentified(tenant.id, ids.externalIds, ids.sequences),
    ]);
    // Rows already in the ledger are told apart here, so the answer reports them; the apply's unique keys have the final word.
    const { accepted, duplicates, ...refusals } = planTransactions(checks, definitions, knownContacts, indexEntries(identified));
    if (accepted.length > 0) await admitToBacklog(tenant, 'transactions', accepted.length);
    const answer: TransactionsAccepted = { id: randomUUID(), ...refusals, duplicates, duplicateCount: duplicates.length };

    // Every request leaves a batch, even one whose rows were all refused (stored
    // already final), so the id and the status URL always work and say why.
    // The batch and the answer under its Idempotency-Key are stored together or not at all.
    await db.transaction(async (tx) => {
      const stored = await tx.batches.insert({
        id: answer.id,
        tenantId: tenant.id,
        kind: 'transactions',
        itemCount: rows.length,
        payload: accepted,
        refused: { messages: refusals.errorMessages, count: refusals.notAccepted.length },
        duplicates,
        now,
      });
      if (!stored) throw tenantChangedMeanwhile();
      await storeAnswer(tx, hold, answer, answer.id);
      await answerBeforeCommit(tx, answer);
    });
    if (accepted.length > 0) await queueBatch('transactions', { tenantId: tenant.id, id: answer.id });
    return answer;
  }

  return {
    accept(tenant: TenantRecord, rows: unknown[], idempotencyKey: string | undefined): Promise<Answered<TransactionsAccepted>> {
      ensureNewPointSystem(tenant);
      const now = clock.now();
      return underIdempotencyKey(
        { db, log },
        { tenant, key: idempotencyKey, request: rows, now },
        (hold) => store(tenant, rows, now, hold),
        (response) => {
          // An answer stored before refused rows were echoed field by field may still hold nulls: echoed again, it fits the model.
          // One stored before duplicates were reported has none.
          const stored = response as Partial<TransactionsAccepted> & Omit<TransactionsAccepted, 'duplicates' | 'duplicateCount'>;
          return { ...stored, notAccepted: stored.notAccepted.map(echoRow), duplicates: stored.duplicates ?? [], duplicateCount: stored.duplicateCount ?? 0 };
        },
      );
    },

    /**
     * An account's entries, newest first; Active and Pending as at the time of
     * the request. A contact without an account for the definition (unknown,
     * or another tenant's) has no entries, as Engage answers a contact without
     * accounts; an account id that names no account is not found.
     */
    async list(tenant: TenantRecord, account: AccountSelector, filter: TransactionFilter, page: PageRequest) {
      const id =
        'accountGuid' in account ? await db.pointAccounts.findIdByGuid(tenant.id, account.accountGuid) : await db.pointAccounts.findId(tenant.id, account);
      if (!id && 'contactId' in account) return { items: [], totalCount: 0 };
      if (!id) throw notFound('Point account');
      return db.ledger.listEntries(tenant.id, id, filter, page, clock.now());
    },

    /** The one entry with this externalId, as a page of one (or none). */
    async findByExternalId(tenant: TenantRecord, externalId: string) {
      const entry = await db.ledger.findByExternalId(tenant.id, externalId);
      return { items: entry ? [entry] : [], totalCount: entry ? 1 : 0 };
    },

    async find(tenant: TenantRecord, id: number) {
      const entry = await db.ledger.findEntry(tenant.id, id);
      if (!entry) throw notFound(`Point transaction ${id}`);
      return entry;
    },

    async findByGuid(tenant: TenantRecord, guid: string) {
      const entry = await db.ledger.findEntryByGuid(tenant.id, guid);
      if (!entry) throw notFound(`Point transaction ${guid}`);
      return entry;
    },
  };
}

export type TransactionsService = ReturnType<typeof transactionsService>;
