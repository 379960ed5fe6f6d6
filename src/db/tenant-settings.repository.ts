import type { TenantMode, TenantUpdate } from '../contracts/admin.ts';
import { ledgerSql } from './ledger.repository.ts';
import { type PoolClient, type Pool, withTransaction } from './pool.ts';
import type { TenantRecord } from './tenants.repository.ts';

/**
 * Balance-only -> all-transaction: every account gets one OpeningBalance entry,
 * active from the switch and never expiring, for the difference between its
 * balance and what its ledger (from an earlier all-transaction period, if any)
 * yields now, so the derived balance equals the balance the account had.
 */
const CARRY_BALANCES_INTO_LEDGER_SQL = `
WITH carry AS (
  SELECT a.id, a.balance - COALESCE(sum(e.amount) FILTER (WHERE ${ledgerSql.active('$2::timestamptz')}), 0) AS amount
    FROM point_account a LEFT JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id
   WHERE a.tenant_id = $1
   GROUP BY a.id, a.balance
)
INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, created_at, modified_at)
SELECT $1, id, CASE WHEN amount > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, amount::int, 'OpeningBalance',
       'Balance carried over from balance-only mode', $2, $2, NULL, $2, $2
  FROM carry WHERE amount <> 0 ORDER BY id`;

/**
 * All-transaction -> balance-only: each account's balance becomes what its
 * ledger yields at the switch (recorded as ModeSwitch history when it moves),
 * and keeps it until the master's next balance. The ledger stays as history.
 */
const SNAPSHOT_LEDGER_BALANCES_SQL = `
WITH derived AS (
  SELECT a.id, COALESCE(sum(e.amount) FILTER (WHERE ${ledgerSql.active('$2::timestamptz')}), 0)::int AS balance
    FROM point_account a LEFT JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id
   WHERE a.tenant_id = $1
   GROUP BY a.id
), updated AS (
  UPDATE point_account a SET balance = d.balance, last_change = d.balance::bigint - a.balance, updated_at = $2
    FROM derived d WHERE a.id = d.id AND a.balance <> d.balance
  RETURNING a.id, a.balance, a.last_change
)
INSERT INTO balance_history (account_id, source, amount, balance, master_time, created_at)
SELECT id, 'ModeSwitch', last_change, balance, $2, $2 FROM updated ORDER BY id`;

const carryOver: Record<TenantMode, string> = {
  'all-transaction': CARRY_BALANCES_INTO_LEDGER_SQL,
  'balance-only': SNAPSHOT_LEDGER_BALANCES_SQL,
};

export type SettingsOutcome =
  | { outcome: 'updated'; tenant: TenantRecord; accountsCarriedOver: number }
  | { outcome: 'not-found' }
  | { outcome: 'batches-unfinished'; count: number };

async function unfinishedBatches(client: PoolClient, tenantId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*) AS n FROM ingest_batch WHERE tenant_id = $1 AND status IN ('Queued', 'Processing')`,
    [tenantId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Changes a tenant's point settings in one transaction. The tenant row is held
 * from the start, so no batch can be stored meanwhile (batches are inserted
 * only after reading that row FOR SHARE); a mode switch is refused while a
 * batch is unfinished, because it was accepted under the old mode's rules.
 */
export function updateTenantSettings(pool: Pool, tenantId: string, update: TenantUpdate, now: Date): Promise<SettingsOutcome> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ mode: TenantMode }>(`SELECT mode FROM tenant WHERE id = $1 FOR NO KEY UPDATE`, [tenantId]);
    const current = rows[0];
    if (!current) return { outcome: 'not-found' };

    let accountsCarriedOver = 0;
    if (update.mode !== undefined && update.mode !== current.mode) {
      const count = await unfinishedBatches(client, tenantId);
      if (count > 0) return { outcome: 'batches-unfinished', count };
      accountsCarriedOver = (await client.query(carryOver[update.mode], [tenantId, now])).rowCount ?? 0;
    }

    const updated = await client.query(
      `UPDATE tenant SET mode = COALESCE($2::tenant_mode, mode), point_system_active = COALESCE($3, point_system_active),
                         require_known_contacts = COALESCE($4, require_known_contacts), updated_at = $5
        WHERE id = $1
        RETURNING id, name, mode, point_system_active, require_known_contacts`,
      [tenantId, update.mode ?? null, update.pointSystemActive ?? null, update.requireKnownContacts ?? null, now],
    );
    const row = updated.rows[0];
    return {
      outcome: 'updated',
      tenant: { id: row.id, name: row.name, mode: row.mode, pointSystemActive: row.point_system_active, requireKnownContacts: row.require_known_contacts },
      accountsCarriedOver,
    };
  });
}
