import type { TransactionFilter } from '../contracts/transactions.ts';
import type { LedgerEntryRecord, LedgerRepository } from '../db/ledger.repository.ts';
import type { PointAccountRecord, PointAccountsRepository } from '../db/point-accounts.repository.ts';
import type { TenantRecord, TenantsRepository } from '../db/tenants.repository.ts';
import type { Clock } from '../domain/clock.ts';

export interface CardAccount extends PointAccountRecord {
  definitionName: string;
}

export interface LedgerHistory {
  kind: 'ledger';
  definitionId: number;
  filter: TransactionFilter;
  offset: number;
  count: number;
  totalCount: number;
  items: LedgerEntryRecord[];
}

export interface ContactCard {
  contactId: string;
  mode: TenantRecord['mode'];
  /** The moment balances, pending points and entry states were read at. */
  readAt: Date;
  accounts: CardAccount[];
  definitions: { id: number; name: string }[];
  history: LedgerHistory | null;
}

/** A contact has one account per point definition; tenants have a handful of definitions, so one page holds them all. */
const ACCOUNTS_PAGE = { offset: 0, count: 1000 };

/**
 * What the contact card shows, read with the same repositories that serve
 * GET /api/v2/point-accounts and GET /api/v2/point-accounts/transactions, so
 * the card and the API can never disagree.
 */
export function contactCardService(deps: { accounts: PointAccountsRepository; ledger: LedgerRepository; tenants: TenantsRepository; clock: Clock }) {
  const { accounts, ledger, tenants, clock } = deps;

  return {
    async card(
      tenant: TenantRecord,
      contactId: string,
      view: { definitionId?: number | undefined; filter: TransactionFilter; offset: number; count: number },
    ): Promise<ContactCard> {
      const readAt = clock.now();
      const [page, definitionRows] = await Promise.all([
        accounts.listByContact(tenant, contactId, ACCOUNTS_PAGE, readAt),
        tenants.listDefinitions(tenant.id, ACCOUNTS_PAGE),
      ]);
      const names = new Map(definitionRows.map((row) => [row.id, row.name]));
      const cardAccounts = page.items.map((account) => ({ ...account, definitionName: names.get(account.definitionId) ?? `Definition ${account.definitionId}` }));

      // The account whose history is shown: the one asked for, else the first.
      const selected = cardAccounts.find((account) => account.definitionId === view.definitionId) ?? cardAccounts[0];
      let history: LedgerHistory | null = null;
      if (selected && tenant.mode === 'all-transaction') {
        const entries = await ledger.listEntries(tenant.id, selected.id, view.filter, { offset: view.offset, count: view.count }, readAt);
        history = { kind: 'ledger', definitionId: selected.definitionId, filter: view.filter, offset: view.offset, count: view.count, ...entries };
      }
      return {
        contactId,
        mode: tenant.mode,
        readAt,
        accounts: cardAccounts,
        definitions: definitionRows.map((row) => ({ id: row.id, name: row.name })),
        history,
      };
    },
  };
}

export type ContactCardService = ReturnType<typeof contactCardService>;
