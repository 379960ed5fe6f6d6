import type { TransactionRow } from './follower-client.ts';

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

/** A loyalty.levelChanged payload, decrypted: the follower's member level change of a contact. */
export interface LevelChange {
  ContactId: string;
  FromLevel: string;
  ToLevel: string;
  ChangedAt: string;
  Reason: string;
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
  if (typeof a.Amount !== 'number' || Math.round(a.Amount * 10_000) / 10_000 !== a.Amount) return 'Amount is not a number with at most 4 decimal places';
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
  /** Every member level change received, oldest first, once per event id. */
  readonly levelChanges: { eventId: string; change: LevelChange }[] = [];

  hasApplied(eventId: string): boolean {
    return this.appliedEventIds.has(eventId);
  }

  /** Applies an adjustment once per event id; returns the account's new balance. */
  apply(eventId: string, adjustment: Adjustment, at: Date): number {
    const balance = this.book(adjustment.ContactId, adjustment.PointDefinitionId, adjustment.Amount, adjustment.Description, at);
    this.appliedEventIds.add(eventId);
    this.applied.push({ eventId, adjustment, balance, appliedAt: at });
    return balance;
  }

  /** Adds points to an account and its log; returns the new balance. */
  book(contactId: string, definitionId: number, amount: number, description: string, at: Date): number {
    const key = `${contactId}/${definitionId}`;
    // Amounts carry up to 4 decimal places: added as whole ten-thousandths, so 0.1 + 0.2 is 0.3, as the follower sums.
    const balance = (Math.round((this.balances.get(key) ?? 0) * 10_000) + Math.round(amount * 10_000)) / 10_000;
    this.balances.set(key, balance);
    const log = this.logs.get(contactId) ?? [];
    log.push({ transactionDate: at.toISOString(), amount, description });
    this.logs.set(contactId, log);
    return balance;
  }

  recordLevelChange(eventId: string, change: LevelChange): void {
    this.appliedEventIds.add(eventId);
    this.levelChanges.push({ eventId, change });
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

/** A transaction as the master records it, before it is numbered. */
export interface MasterTransaction {
  contactId: string;
  definitionId: number;
  amount: number;
  source: string;
  description: string;
  /** The master's id for the row; a fresh one is made when none is given (an adjustment's is its webhook event id). */
  externalId?: string;
}

/**
 * The master's outbox for all-transaction mode: every point transaction it
 * records, numbered 1, 2, 3, ... without holes (`sequence`), each with its
 * own `externalId`. Rows are sent exactly as recorded, every time: the
 * follower recognises a row sent again as a duplicate only if nothing in it
 * changed. A real master keeps this table in its database, written in the
 * same transaction as the points themselves.
 */
export class TransactionStream {
  private readonly rows: TransactionRow[] = [];

  /** Numbers and keeps the transaction; answers the row to send. */
  append(transaction: MasterTransaction, at: Date): TransactionRow {
    const sequence = this.rows.length + 1;
    const row: TransactionRow = {
      contactId: transaction.contactId,
      definitionId: transaction.definitionId,
      amount: transaction.amount,
      source: transaction.source,
      description: transaction.description,
      timeStamp: at.toISOString(),
      externalId: transaction.externalId ?? `txn-${sequence}`,
      sequence,
    };
    this.rows.push(row);
    return row;
  }

  get lastSequence(): number {
    return this.rows.length;
  }

  /** Every row from `sequence` on, in order. */
  from(sequence: number): TransactionRow[] {
    return this.rows.slice(Math.max(0, sequence - 1));
  }

  all(): readonly TransactionRow[] {
    return this.rows;
  }
}
