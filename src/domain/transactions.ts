/** What a point transaction says, wherever it is held (a stored batch row, a ledger entry). Times are canonical ISO strings. */
export interface TransactionContent {
  contactId: string;
  definitionId: number;
  amount: number;
  source: string;
  description: string;
  transactionDate: string;
  validFrom: string;
  validTo: string | null;
}

/**
 * An accepted row as stored in the batch: defaults filled in, times in
 * canonical ISO form, its index in the request kept. Built by the API from a
 * row the contract accepted, and applied by the worker as stored.
 */
export interface StoredTransaction extends TransactionContent {
  index: number;
  /** Sync assurance: present only when the master sent them. */
  externalId?: string;
  sequence?: number;
  /** Which of timeStamp, validFrom, validTo the master sent (domain/sync.ts sentFieldsOf); present when externalId or sequence is. */
  sentFields?: number;
}

/** One transaction row as the contract accepts it (contracts/transactions.ts transactionRow), before its defaults are filled in. */
export interface TransactionRowInput {
  contactId: string;
  amount: number;
  definitionId: number;
  timeStamp?: string;
  source: string;
  description: string;
  validFrom?: string;
  validTo?: string | null;
  externalId?: string;
  sequence?: number;
}

/** Checks one row against the contract: the row as accepted, or each issue with the path of its field. */
export type TransactionRowParser = (
  row: unknown,
) => { success: true; data: TransactionRowInput } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };

/**
 * Engage's PointTransactionToAccount: a refused row as echoed in notAccepted.
 * Only fields whose sent value fits these types are echoed (domain/ledger.ts echoRow).
 */
export interface EchoedTransactionRow {
  contactId?: string;
  amount?: number;
  definitionId?: number;
  timeStamp?: string;
  source?: string;
  description?: string;
  validFrom?: string;
  validTo?: string;
  externalId?: string;
  sequence?: number;
}

/** A row already in the ledger with the same content: its index in the request, its identity, and the entry it already is. */
export interface DuplicateRow {
  index: number;
  externalId?: string;
  sequence?: number;
  transactionId: number;
}
