/** A point adjustment as the follower sends it, after decryption (Engage's PascalCase fields). */
export interface Adjustment {
  ContactId: string;
  Amount: number;
  Description: string;
  Source: 'Manual' | 'Automation';
  PointDefinitionId: number;
  UserId?: string;
  UserName?: string;
  Reason?: string;
  ProcessId?: string;
  WorkflowId?: string;
  WorkflowName?: string;
}

/** One line of the points log this master serves back to the follower. */
export interface PointsLogLine {
  transactionDate: string;
  amount: number;
  description: string;
}

export interface AppliedAdjustment {
  eventId: string;
  adjustment: Adjustment;
  balance: number;
  appliedAt: Date;
}

/** Checks the decrypted payload by hand; returns what is wrong, or null. */
export function problemWith(value: unknown): string | null {
  const a = value as Partial<Adjustment> | null;
  if (typeof a !== 'object' || a === null) return 'the payload is not a JSON object';
  if (typeof a.ContactId !== 'string') return 'ContactId is missing';
  if (!Number.isInteger(a.Amount)) return 'Amount is not an integer';
  if (!Number.isInteger(a.PointDefinitionId)) return 'PointDefinitionId is not an integer';
  if (a.Source !== 'Manual' && a.Source !== 'Automation') return 'Source is neither Manual nor Automation';
  return null;
}

/**
 * The master's own books, in memory: they are gone when the process stops.
 * A real master keeps balances, its log and the ids of events it has applied
 * in its database, and records the event id in the same transaction as the
 * balance change, so a redelivered event can never be applied twice.
 */
export class PointMasterStore {
  private readonly balances = new Map<string, number>();
  private readonly logs = new Map<string, PointsLogLine[]>();
  private readonly appliedEventIds = new Set<string>();
  /** Every adjustment applied, oldest first: what the demo prints and tests look at. */
  readonly applied: AppliedAdjustment[] = [];

  hasApplied(eventId: string): boolean {
    return this.appliedEventIds.has(eventId);
  }

  /** Applies an adjustment once per event id; returns the account's new balance. */
  apply(eventId: string, adjustment: Adjustment, at: Date): number {
    const key = `${adjustment.ContactId}/${adjustment.PointDefinitionId}`;
    const balance = (this.balances.get(key) ?? 0) + adjustment.Amount;
    this.balances.set(key, balance);
    this.appliedEventIds.add(eventId);
    const log = this.logs.get(adjustment.ContactId) ?? [];
    log.push({ transactionDate: at.toISOString(), amount: adjustment.Amount, description: adjustment.Description });
    this.logs.set(adjustment.ContactId, log);
    this.applied.push({ eventId, adjustment, balance, appliedAt: at });
    return balance;
  }

  balance(contactId: string, definitionId: number): number {
    return this.balances.get(`${contactId}/${definitionId}`) ?? 0;
  }

  /** Every account's balance, the lines a reconciliation lists (see reconcile.ts). */
  accounts(): { contactId: string; definitionId: number; balance: number }[] {
    return [...this.balances].map(([key, balance]) => {
      const [contactId, definitionId] = key.split('/') as [string, string];
      return { contactId, definitionId: Number(definitionId), balance };
    });
  }

  /** The contact's log, newest first, as the follower expects it. */
  log(contactId: string): PointsLogLine[] {
    return [...(this.logs.get(contactId) ?? [])].reverse();
  }
}
