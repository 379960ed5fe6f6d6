import { adjustmentsRepository } from './adjustments.repository.ts';
import { apiKeysRepository } from './api-keys.repository.ts';
import { balanceEventsRepository } from './balance-events.repository.ts';
import { batchesRepository } from './batches.repository.ts';
import { contactsRepository } from './contacts.repository.ts';
import { definitionsRepository } from './definitions.repository.ts';
import { digestsRepository } from './digests.repository.ts';
import { deliveriesRepository } from './deliveries.repository.ts';
import { idempotencyRepository } from './idempotency.repository.ts';
import { integrationsRepository } from './integrations.repository.ts';
import { ledgerRepository } from './ledger.repository.ts';
import { levelsRepository } from './levels.repository.ts';
import { pointAccountsRepository } from './point-accounts.repository.ts';
import { type Db, type Pool, type TransactionOptions, withTransaction } from './pool.ts';
import { syncRepository } from './sync.repository.ts';
import { reconciliationsRepository } from './reconciliations.repository.ts';
import { subscriptionsRepository } from './subscriptions.repository.ts';
import { tenantsRepository } from './tenants.repository.ts';
import { uiSessionsRepository } from './ui-sessions.repository.ts';
import { uiUsersRepository } from './ui-users.repository.ts';

/** Every repository, each the one owner of its tables (docs/architecture.md), over one Db. */
function repositories(db: Db) {
  return {
    tenants: tenantsRepository(db),
    apiKeys: apiKeysRepository(db),
    definitions: definitionsRepository(db),
    contacts: contactsRepository(db),
    batches: batchesRepository(db),
    pointAccounts: pointAccountsRepository(db),
    ledger: ledgerRepository(db),
    sync: syncRepository(db),
    levels: levelsRepository(db),
    idempotency: idempotencyRepository(db),
    adjustments: adjustmentsRepository(db),
    deliveries: deliveriesRepository(db),
    integrations: integrationsRepository(db),
    uiUsers: uiUsersRepository(db),
    uiSessions: uiSessionsRepository(db),
    reconciliations: reconciliationsRepository(db),
    digests: digestsRepository(db),
    subscriptions: subscriptionsRepository(db),
    balanceEvents: balanceEventsRepository(db),
  };
}

/**
 * The repositories over the pool, and transactions over them. Inside
 * `transaction`, `tx` is the same Database over the transaction's client;
 * calling `tx.transaction` again joins that transaction, so a service built
 * over `tx` takes part in its caller's transaction. Joining opens no
 * savepoint: what the inner work wrote commits or rolls back with the outer
 * transaction, as a whole.
 */
export interface Database extends ReturnType<typeof repositories> {
  transaction<T>(work: (tx: Database) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

export function createDatabase(pool: Pool): Database {
  return {
    ...repositories(pool),
    transaction: (work, options) => withTransaction(pool, (client) => work(joined(client)), options),
  };
}

function joined(client: Db): Database {
  const tx: Database = { ...repositories(client), transaction: (work) => work(tx) };
  return tx;
}
