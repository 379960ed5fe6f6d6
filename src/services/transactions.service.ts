import { randomUUID } from 'node:crypto';
import type { TransactionsAccepted } from '../contracts/transactions.ts';
import { contactsRepository } from '../db/contacts.repository.ts';
import { idempotencyRepository } from '../db/idempotency.repository.ts';
import { ledgerRepository, storeTransactionBatch } from '../db/ledger.repository.ts';
import type { TenantRecord } from '../db/tenants.repository.ts';
import type { Deps } from '../deps.ts';
import { requestFingerprint } from '../domain/idempotency.ts';
import { checkTransactionRows, planTransactions, referencedIds } from '../domain/ledger.ts';
import { AppError } from '../errors.ts';
import { enqueueStoredBatch, tenantChangedMeanwhile } from './ingest.service.ts';

/** Engage answers both cases with the same title. */
function ensureNewPointSystem(tenant: TenantRecord): void {
  if (!tenant.pointSystemActive) throw new AppError('point_system_inactive', `The point system of tenant ${tenant.name} is switched off`);
  if (tenant.mode !== 'all-transaction') {
    throw new AppError('point_system_inactive', `Tenant ${tenant.name} is in ${tenant.mode} mode; transactions are accepted only in all-transaction mode`);
  }
}

export interface AcceptedTransactions {
  answer: TransactionsAccepted;
  /** True when the answer is the stored one of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** POST /point-accounts/transactions: row-by-row checks, a durable batch, and the Idempotency-Key contract. */
export function transactionsService(deps: Deps) {
  const ledger = ledgerRepository(deps.pool);
  const contacts = contactsRepository(deps.pool);
  const idempotency = idempotencyRepository(deps.pool);

  async function store(tenant: TenantRecord, rows: unknown[], now: Date, claim: { key: string; token: string } | null): Promise<TransactionsAccepted> {
    const checks = checkTransactionRows(rows, now);
    const ids = referencedIds(checks);
    const [definitions, knownContacts] = await Promise.all([
      ledger.knownDefinitions(tenant.id, ids.definitionIds),
      tenant.requireKnownContacts ? contacts.known(tenant.id, ids.contactIds) : null,
    ]);
    const { accepted, ...refusals } = planTransactions(checks, definitions, knownContacts);
    const answer: TransactionsAccepted = { id: randomUUID(), ...refusals };

    // Every request leaves a batch, even one whose rows were all refused (stored
    // already final), so the id and the status URL always work and say why.
    const outcome = await storeTransactionBatch(deps.pool, {
      id: answer.id,
      tenantId: tenant.id,
      itemCount: rows.length,
      accepted,
      refused: { messages: refusals.errorMessages, count: refusals.notAccepted.length },
      answer,
      claim,
      now,
    });
    if (outcome === 'tenant-changed') throw tenantChangedMeanwhile();
    if (outcome === 'claim-lost') throw new AppError('request_in_progress', 'Another request took over this Idempotency-Key; retry to get its answer');
    if (accepted.length > 0) await enqueueStoredBatch(deps, 'transactions', answer.id);
    return answer;
  }

  return {
    async accept(tenant: TenantRecord, rows: unknown[], idempotencyKey: string | undefined): Promise<AcceptedTransactions> {
      ensureNewPointSystem(tenant);
      const now = deps.clock.now();
      if (idempotencyKey === undefined) return { answer: await store(tenant, rows, now, null), replayed: false };

      const claim = await idempotency.claim(tenant.id, idempotencyKey, requestFingerprint(rows), now);
      switch (claim.outcome) {
        case 'replay':
          return { answer: claim.response as TransactionsAccepted, replayed: true };
        case 'different-body':
          throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used with a different body in the last 24 hours');
        case 'in-flight':
          throw new AppError('request_in_progress', 'A request with this Idempotency-Key is still being handled; retry in a moment');
        case 'claimed':
          try {
            return { answer: await store(tenant, rows, now, { key: idempotencyKey, token: claim.token }), replayed: false };
          } catch (err) {
            // Nothing was stored under the key, so a retry may go ahead at once.
            await idempotency.release(tenant.id, idempotencyKey, claim.token).catch((e: unknown) => deps.log.warn({ err: e }, 'could not release idempotency key'));
            throw err;
          }
      }
    },
  };
}

export type TransactionsService = ReturnType<typeof transactionsService>;
