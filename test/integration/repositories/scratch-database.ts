import { randomUUID } from 'node:crypto';
import type { StoredTransaction } from '../../../src/domain/transactions.ts';
import { createDatabase, type Database } from '../../../src/db/database.ts';
import { createPool, type Pool } from '../../../src/db/pool.ts';
import type { TenantMode, TenantRecord } from '../../../src/domain/tenants.ts';
import { createLogger } from '../../../src/logger.ts';
import { createTestDatabase } from '../../support/database.ts';

export interface ScratchDatabase {
  db: Database;
  /** For reading what the repositories wrote (rows no repository answers), never for writing. */
  pool: Pool;
  close(): Promise<void>;
}

/** A migrated database of the file's own, with every repository over a pool on it. */
export async function openScratchDatabase(): Promise<ScratchDatabase> {
  const scratch = await createTestDatabase();
  const pool = createPool(scratch.url, 4, createLogger('silent', 'test'));
  return {
    db: createDatabase(pool),
    pool,
    async close() {
      await pool.end();
      await scratch.drop();
    },
  };
}

/** Every time in these tests is relative to T0, never to the clock. */
export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;
export const at = (offsetMs: number) => new Date(T0.getTime() + offsetMs);

/** A tenant name with its key; the names made here are already in their folded form. */
const withKey = (name: string) => ({ name, nameKey: name });

/** A tenant of the test's own, with definitions 1 and 2. */
export async function newTenant(db: Database, mode: TenantMode, settings: { pointSystemActive?: boolean } = {}): Promise<TenantRecord> {
  const tenant = await db.tenants.create(
    { ...withKey(`tenant-${randomUUID()}`), mode, pointSystemActive: settings.pointSystemActive ?? true, requireKnownContacts: false },
    T0,
  );
  await db.definitions.create(tenant.id, { id: 1, name: 'Stars' });
  await db.definitions.create(tenant.id, { id: 2, name: 'Coins' });
  return tenant;
}

export interface EntrySpec {
  amount: number;
  from: Date;
  to?: Date | null;
  /** The transaction date; validFrom when left out. */
  date?: Date;
}

/** A ledger row as the API stores it in a batch. */
export function storedRow(index: number, account: { contactId: string; definitionId: number }, entry: EntrySpec): StoredTransaction {
  return {
    index,
    contactId: account.contactId,
    definitionId: account.definitionId,
    amount: entry.amount,
    source: 'Purchase',
    description: `row ${index}`,
    transactionDate: (entry.date ?? entry.from).toISOString(),
    validFrom: entry.from.toISOString(),
    validTo: entry.to ? entry.to.toISOString() : null,
  };
}

/** Makes sure the account exists and appends these entries as one batch; answers the account id. */
export async function appendEntries(
  db: Database,
  tenantId: string,
  account: { contactId: string; definitionId: number },
  entries: readonly EntrySpec[],
): Promise<number> {
  await db.pointAccounts.ensure(tenantId, [account], T0);
  await db.ledger.append(
    tenantId,
    randomUUID(),
    entries.map((entry, index) => storedRow(index, account, entry)),
    T0,
  );
  const id = await db.pointAccounts.findId(tenantId, account);
  if (id === null) throw new Error('ensure made no account');
  return id;
}
