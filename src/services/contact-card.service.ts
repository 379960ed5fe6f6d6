import type { TransactionFilter } from '../contracts/transactions.ts';
import type { ContactDetailsRecord, FoundContact } from '../db/contacts.repository.ts';
import type { Database } from '../db/database.ts';
import { contactSearch, SEARCH_LIMIT } from '../domain/contacts.ts';
import { type BalanceSeries, balanceSeries } from '../domain/balance-chart.ts';
import { type AdjustmentRecord, type AdjustmentStage, adjustmentStage } from '../domain/adjustments.ts';
import type { Clock } from '../domain/clock.ts';
import type { LedgerEntryRecord, PointAccountRecord } from '../domain/ledger.ts';
import { type DriftRecord, driftStands } from '../domain/reconciliations.ts';
import type { PointsLogEntry } from '../domain/points-log.ts';
import { type KnownFacts, knownFacts, type TenantRecord } from '../domain/tenants.ts';
import { AppError } from '../errors.ts';
import type { AdjustmentsService } from './adjustments.service.ts';
import type { LevelsService } from './levels.service.ts';
import type { PointsLogService } from './points-log.service.ts';

/** What the tenant's latest completed reconciliation found about one of the contact's accounts. */
export interface CardDrift {
  reconciliationId: string;
  asOf: Date;
  repaired: boolean;
  masterBalance: number;
  followerBalance: number;
}

export interface CardAccount extends PointAccountRecord {
  definitionName: string;
  drift?: CardDrift;
  /** How many points lapse at balanceExpires; absent when nothing expires. */
  expiringPoints?: number;
  /** The balance at the end of each of the last twelve months and now; null when the account has no month end behind it yet. */
  balanceChart: BalanceSeries | null;
  /** When a push from the master last reached this account. */
  lastPushAt: Date | null;
}

interface Page {
  offset: number;
  count: number;
  totalCount: number;
}

/** All-transaction mode: the follower's own ledger of one account. */
export interface LedgerHistory extends Page {
  kind: 'ledger';
  definitionId: number;
  filter: TransactionFilter;
  items: LedgerEntryRecord[];
}

/** Balance-only mode: the master's points log of the contact, or why it could not be read. */
export type PointsLogHistory =
  (Page & { kind: 'points-log'; items: PointsLogEntry[] }) | { kind: 'points-log-unavailable'; status: number; title: string; detail: string };

export type CardAdjustment = AdjustmentRecord & { definitionName: string; stage: AdjustmentStage };

export interface ContactCard {
  contactId: string;
  /** Who the contact is (display name, email, phone, member number), when the tenant holds any of it. */
  details: ContactDetailsRecord | null;
  mode: TenantRecord['mode'];
  pointSystemActive: boolean;
  /** The tenant's zone: every time on the card is shown in it. */
  timeZone: string;
  /** Which figures the tenant's mode lets the follower know (balance-only: neither pending points nor expiry). */
  knows: KnownFacts;
  /** When the master last pushed anything for the tenant (any contact). */
  tenantLastPushAt: Date | null;
  /** The moment balances, pending points and entry states were read at. */
  readAt: Date;
  accounts: CardAccount[];
  /** Drifts of the latest reconciliation on accounts the follower has no account for (MissingInFollower). */
  missingAccounts: (CardDrift & { definitionId: number; definitionName: string })[];
  definitions: { id: number; name: string }[];
  history: LedgerHistory | PointsLogHistory | null;
  adjustments: { items: CardAdjustment[]; totalCount: number; timeZone: string };
  /** The member level (all-transaction mode with a ladder), else null. */
  memberLevel: CardMemberLevel | null;
}

export type CardMemberLevel = NonNullable<Awaited<ReturnType<LevelsService['cardLevel']>>>;

/** A contact has one account per point definition; tenants have a handful of definitions, so one page holds them all. */
const ALL = { offset: 0, count: 1000 };
/** The newest adjustments are the ones anyone asks about ("did my points go out?"). */
const ADJUSTMENTS_SHOWN = 20;

export interface CardView {
  definitionId?: number | undefined;
  filter: TransactionFilter;
  offset: number;
  count: number;
}

/**
 * What the contact card shows, read with the same repositories and services
 * that serve the v2 API (point accounts, transactions, adjustments, points
 * log), so the card and the API can never disagree.
 */
export function contactCardService(deps: { db: Database; clock: Clock; adjustments: AdjustmentsService; pointsLog: PointsLogService; levels: LevelsService }) {
  const { db, clock, adjustments, pointsLog, levels } = deps;

  async function definitionNames(tenant: TenantRecord) {
    const rows = await db.definitions.list(tenant.id, ALL);
    return { rows, name: (id: number) => rows.find((row) => row.id === id)?.name ?? `Definition ${id}` };
  }

  async function readPointsLog(tenant: TenantRecord, contactId: string, view: CardView): Promise<PointsLogHistory> {
    try {
      const entries = await pointsLog.get(tenant, contactId);
      return {
        kind: 'points-log',
        offset: view.offset,
        count: view.count,
        totalCount: entries.length,
        items: entries.slice(view.offset, view.offset + view.count),
      };
    } catch (err) {
      // The card still shows balances and adjustments when the master is away; the history panel says why it is empty.
      if (!(err instanceof AppError)) throw err;
      return { kind: 'points-log-unavailable', status: err.status, title: err.title, detail: err.message };
    }
  }

  async function recentAdjustments(tenant: TenantRecord, contactId: string, name: (id: number) => string, pushes?: Map<number, Date>) {
    const [page, lastPush] = await Promise.all([
      adjustments.list(tenant, contactId, { offset: 0, count: ADJUSTMENTS_SHOWN }),
      pushes ?? db.pointAccounts.lastPushAt(tenant.id, contactId),
    ]);
    return {
      timeZone: tenant.timeZone,
      items: page.items.map((item) => ({ ...item, definitionName: name(item.definitionId), stage: adjustmentStage(item, lastPush.get(item.definitionId)) })),
      totalCount: page.totalCount,
    };
  }

  return {
    async card(tenant: TenantRecord, contactId: string, view: CardView): Promise<ContactCard> {
      const readAt = clock.now();
      const [page, definitions, log, memberLevel, latest, monthEnds, pushes, activity, details] = await Promise.all([
        db.pointAccounts.listByContact(tenant, contactId, ALL, readAt),
        definitionNames(tenant),
        tenant.mode === 'balance-only' ? readPointsLog(tenant, contactId, view) : null,
        levels.cardLevel(tenant, contactId),
        db.reconciliations.latestDriftsOfContact(tenant.id, contactId),
        // Month ends fall on the tenant's wall clock, the zone its member levels' calendar years use.
        tenant.mode === 'balance-only'
          ? db.pointAccounts.monthEndBalances(tenant.id, contactId, readAt, tenant.timeZone)
          : db.ledger.monthEndBalances(tenant.id, contactId, readAt, tenant.timeZone),
        db.pointAccounts.lastPushAt(tenant.id, contactId),
        db.batches.activity([tenant.id], readAt),
        db.contacts.details(tenant.id, contactId),
      ]);
      // The latest completed reconciliation's findings on this contact's accounts, one per definition at most.
      const driftOf = (d: DriftRecord): CardDrift => ({
        reconciliationId: latest!.reconciliation.id,
        asOf: latest!.reconciliation.asOf,
        repaired: latest!.reconciliation.repair,
        masterBalance: d.masterBalance,
        followerBalance: d.followerBalance,
      });
      // A drift stands while the follower's balance as of that asOf, read now, still differs from the master's figure.
      const asOfNow =
        latest && latest.drifts.length > 0 ? await db.pointAccounts.balancesAsOf(tenant, contactId, latest.reconciliation.asOf) : new Map<number, number>();
      const standing = (latest?.drifts ?? []).filter((d) => driftStands(d, asOfNow.get(d.definitionId) ?? 0));
      const byDefinition = new Map(standing.map((d) => [d.definitionId, d]));
      const cardAccounts: CardAccount[] = await Promise.all(
        page.items.map(async (account) => {
          const found = byDefinition.get(account.definitionId);
          return {
            ...account,
            definitionName: definitions.name(account.definitionId),
            ...(found ? { drift: driftOf(found) } : {}),
            ...(account.balanceExpires ? { expiringPoints: account.expiresAmount } : {}),
            lastPushAt: pushes.get(account.definitionId) ?? null,
            balanceChart: balanceSeries(
              monthEnds.filter((row) => row.accountId === account.id),
              { at: readAt, balance: account.balance },
            ),
          };
        }),
      );
      const missingAccounts = [...byDefinition.values()]
        .filter((d) => !page.items.some((account) => account.definitionId === d.definitionId))
        .map((d) => ({ ...driftOf(d), definitionId: d.definitionId, definitionName: definitions.name(d.definitionId) }));

      // The account whose ledger is shown: the one asked for, else the first.
      const selected = cardAccounts.find((account) => account.definitionId === view.definitionId) ?? cardAccounts[0];
      let history: ContactCard['history'] = log;
      if (selected && tenant.mode === 'all-transaction') {
        const entries = await db.ledger.listEntries(tenant.id, selected.id, view.filter, { offset: view.offset, count: view.count }, readAt);
        history = { kind: 'ledger', definitionId: selected.definitionId, filter: view.filter, offset: view.offset, count: view.count, ...entries };
      }
      return {
        contactId,
        details,
        mode: tenant.mode,
        pointSystemActive: tenant.pointSystemActive,
        timeZone: tenant.timeZone,
        knows: knownFacts(tenant.mode),
        tenantLastPushAt: activity[0]?.lastPushAt ?? null,
        readAt,
        accounts: cardAccounts,
        missingAccounts,
        definitions: definitions.rows.map((row) => ({ id: row.id, name: row.name })),
        history,
        adjustments: await recentAdjustments(tenant, contactId, definitions.name, pushes),
        memberLevel,
      };
    },

    /**
     * The card search: a contact id opens its card (whether or not the
     * registry holds it); anything else is looked up by email, phone, member
     * number and name (domain/contacts.ts says which a text is tried as).
     */
    async search(
      tenant: TenantRecord,
      text: string,
    ): Promise<{ kind: 'empty' } | { kind: 'contactId'; contactId: string } | { kind: 'found'; items: FoundContact[] }> {
      const search = contactSearch(text);
      if (search.kind === 'empty' || search.kind === 'contactId') return search;
      return { kind: 'found', items: await db.contacts.search(tenant.id, search, SEARCH_LIMIT) };
    },

    /** The adjustments list alone, which the page polls until every delivery has settled. */
    async adjustments(tenant: TenantRecord, contactId: string) {
      const { name } = await definitionNames(tenant);
      return { readAt: clock.now(), ...(await recentAdjustments(tenant, contactId, name)) };
    },
  };
}

export type ContactCardService = ReturnType<typeof contactCardService>;
