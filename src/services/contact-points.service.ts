import type { PointsLogEntry } from '../contracts/points-log.ts';
import type { Database } from '../db/database.ts';
import type { LedgerEntryRecord } from '../domain/ledger.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import type { PointsLogService } from './points-log.service.ts';

interface Paged<T> {
  items: T[];
  totalCount: number;
}

/** A contact's point history: the follower's own ledger, or in balance-only mode the master's points log. */
export type ContactPointHistory = ({ kind: 'ledger' } & Paged<LedgerEntryRecord>) | ({ kind: 'points-log' } & Paged<PointsLogEntry>);

/** The points endpoints Engage clients call on a contact: its history. */
export function contactPointsService(deps: { db: Database; pointsLog: PointsLogService }) {
  const { db, pointsLog } = deps;
  return {
    /** Newest first. Another tenant's contact, or one without points, has an empty history. */
    async history(tenant: TenantRecord, contactId: string, page: { offset: number; count: number }): Promise<ContactPointHistory> {
      if (tenant.mode === 'all-transaction') return { kind: 'ledger', ...(await db.ledger.listContactEntries(tenant.id, contactId, page)) };
      // The master keeps the history in balance-only mode; its log comes newest first and is paged here.
      const log = await pointsLog.get(tenant, contactId);
      return { kind: 'points-log', items: log.slice(page.offset, page.offset + page.count), totalCount: log.length };
    },
  };
}

export type ContactPointsService = ReturnType<typeof contactPointsService>;
