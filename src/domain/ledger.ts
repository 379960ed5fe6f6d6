import type { DuplicateRow, EchoedTransactionRow, StoredTransaction, TransactionRowParser } from './transactions.ts';
import { readLocalTimes } from './local-times.ts';
import { type EntryIndex, judgeIdentity, repeatsWithinRequest, sentFieldsOf } from './sync.ts';

/**
 * All-transaction mode's rows as the service reads them. The rule that turns
 * them into figures (lots used up soonest-expiring first, debts, expiry of
 * what is left: DESIGN 2.2) is the SQL function ledger_walk, written once;
 * the property tests hold it to an independent model.
 *
 * A row's window is [validFrom, validTo): it is pending before validFrom,
 * active from validFrom up to (not including) validTo, expired from validTo
 * on. A null validTo never expires.
 */
type EntryType = 'Addition' | 'Deduction' | 'Expiry';
export type EntryState = 'pending' | 'active' | 'expired';

interface AccountSummary {
  balance: number;
  pendingPoints: number;
  balanceExpires: Date | null;
  /** What is left of the lots that expire at balanceExpires. */
  expiresAmount: number;
  /** What is left of the active lots that expire within 30, 60 and 90 days of the reading. */
  expiringWithin30Days: number;
  expiringWithin60Days: number;
  expiringWithin90Days: number;
}

/** A point account as read, in either mode. */
export interface PointAccountRecord extends AccountSummary {
  id: number;
  /** The account's id in Engage's v3 API. */
  guid: string;
  contactId: string;
  definitionId: number;
}

export interface LedgerEntryRecord {
  id: number;
  accountId: number;
  /** The entry's and its account's ids in Engage's v3 API. */
  guid: string;
  accountGuid: string;
  amount: number;
  type: EntryType;
  source: string;
  description: string;
  transactionDate: Date;
  validFrom: Date;
  validTo: Date | null;
  createdOn: Date;
  modifiedOn: Date;
  externalId: string | null;
  sequence: number | null;
}

/** Where a row's own window stands at `at` (the history's labels and the Active/Pending listings). */
export function entryState(entry: { validFrom: Date; validTo: Date | null }, at: Date): EntryState {
  if (at.getTime() < entry.validFrom.getTime()) return 'pending';
  if (entry.validTo !== null && at.getTime() >= entry.validTo.getTime()) return 'expired';
  return 'active';
}

/**
 * When a row sent without validFrom starts to count: from its own timeStamp
 * when that is earlier than its arrival, so a row that arrives late (re-sent
 * after a loss) has the effect it would have had on time, and a
 * reconciliation as of a moment in the past sees it; otherwise (no
 * timeStamp, or one still to come) from its arrival. Canonical UTC strings
 * of one width compare as the instants they name.
 */
const rowValidFrom = (timeStamp: string | undefined, requestTime: string): string =>
  timeStamp !== undefined && timeStamp < requestTime ? timeStamp : requestTime;

export type RowCheck = { index: number; row: unknown } & ({ ok: true; transaction: StoredTransaction } | { ok: false; messages: string[] });

const fieldLabel = (index: number, path: readonly PropertyKey[]) => `Row [${index}]${path.length > 0 ? `.${path.map(String).join('.')}` : ''}`;

/** The fields of a row that hold a time, each of which may be sent without an offset. */
const ROW_TIMES = ['timeStamp', 'validFrom', 'validTo'] as const;

/**
 * Checks one row on its own. A time without an offset, or a date alone, is
 * read in `timeZone` (the tenant's; domain/local-times.ts). timeStamp
 * defaults to the time of the request (`requestTime`, canonical like the
 * row's own times), validFrom to the earlier of timeStamp and the request
 * (rowValidFrom); validTo must be after validFrom. The contract's times are canonical UTC strings of
 * one width, which sort as the instants they name: they are compared and
 * stored as they are, with no Date made for them. `parseRow` is the
 * contract's check of a row (contracts/transactions.ts transactionRow).
 */
export function checkTransactionRow(row: unknown, index: number, requestTime: string, timeZone: string, parseRow: TransactionRowParser): RowCheck {
  // A row that is not an object at all, worded as a rule of the contract. Checked
  // here rather than by an error map passed to safeParse, which made checking a
  // 1000-row batch three times slower.
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    return { index, row, ok: false, messages: [`${fieldLabel(index, [])}: must be an object`] };
  }
  // The row itself stays as sent: a refused row is echoed as the master sent it.
  const parsed = parseRow(readLocalTimes(row, ROW_TIMES, timeZone));
  if (!parsed.success) {
    return { index, row, ok: false, messages: parsed.error.issues.map((issue) => `${fieldLabel(index, issue.path)}: ${issue.message}`) };
  }
  const input = parsed.data;
  const validFrom = input.validFrom ?? rowValidFrom(input.timeStamp, requestTime);
  const validTo = input.validTo ?? null;
  if (validTo !== null && validTo <= validFrom) {
    return { index, row, ok: false, messages: [`${fieldLabel(index, ['validTo'])}: must be after validFrom (${validFrom})`] };
  }
  const transaction: StoredTransaction = {
    index,
    contactId: input.contactId,
    definitionId: input.definitionId,
    amount: input.amount,
    source: input.source,
    description: input.description,
    transactionDate: input.timeStamp ?? requestTime,
    validFrom,
    validTo,
  };
  // Only rows with an identity need their content remembered as sent.
  if (input.externalId !== undefined || input.sequence !== undefined) {
    if (input.externalId !== undefined) transaction.externalId = input.externalId;
    if (input.sequence !== undefined) transaction.sequence = input.sequence;
    transaction.sentFields = sentFieldsOf(input);
  }
  return { index, row, ok: true, transaction };
}

export function checkTransactionRows(rows: readonly unknown[], requestTime: Date, timeZone: string, parseRow: TransactionRowParser): RowCheck[] {
  const requestIso = requestTime.toISOString();
  return rows.map((row, index) => checkTransactionRow(row, index, requestIso, timeZone, parseRow));
}

/** The ids the well-formed rows refer to, for one look-up each. */
export function referencedIds(checks: readonly RowCheck[]): { definitionIds: number[]; contactIds: string[]; externalIds: string[]; sequences: number[] } {
  const definitionIds = new Set<number>();
  const contactIds = new Set<string>();
  const externalIds: string[] = [];
  const sequences: number[] = [];
  for (const check of checks) {
    if (!check.ok) continue;
    const { transaction } = check;
    definitionIds.add(transaction.definitionId);
    contactIds.add(transaction.contactId);
    if (transaction.externalId !== undefined) externalIds.push(transaction.externalId);
    if (transaction.sequence !== undefined) sequences.push(transaction.sequence);
  }
  return { definitionIds: [...definitionIds], contactIds: [...contactIds], externalIds, sequences };
}

const ECHOED_TEXT = ['contactId', 'timeStamp', 'source', 'description', 'validFrom', 'validTo'] as const;
const ECHOED_NUMBERS = ['amount', 'definitionId'] as const;
const ECHOED_INTEGERS = ['sequence'] as const;

/**
 * A refused row as Engage's PointTransactionToAccount can carry it: only the
 * model's fields, and only those whose value has the model's type. A client
 * that validates answers would otherwise throw on the 202 (a `null`, a number
 * sent as a string), after the valid rows of the same request were committed.
 */
export function echoRow(row: unknown): EchoedTransactionRow {
  const echoed: EchoedTransactionRow = {};
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return echoed;
  const fields = row as Record<string, unknown>;
  if (typeof fields.externalId === 'string') echoed.externalId = fields.externalId;
  for (const key of ECHOED_INTEGERS) {
    const value = fields[key];
    if (Number.isSafeInteger(value)) echoed[key] = value as number;
  }
  for (const key of ECHOED_TEXT) {
    const value = fields[key];
    if (typeof value === 'string') echoed[key] = value;
  }
  for (const key of ECHOED_NUMBERS) {
    const value = fields[key];
    if (typeof value === 'number') echoed[key] = value;
  }
  return echoed;
}

export interface TransactionsPlan {
  accepted: StoredTransaction[];
  notAccepted: EchoedTransactionRow[];
  errorMessages: string[];
  missingDefinitionIds: number[];
  missingContactIds: string[];
  /** Rows already in the ledger: neither applied again nor refused. */
  duplicates: DuplicateRow[];
}

/**
 * Engage's answer to a transactions request: rows that repeat an earlier row's
 * externalId or sequence, rows with an unknown definition,
 * or (when the tenant requires known contacts, `knownContacts` not null) an
 * unknown contact, are not accepted either, and their ids are listed once each
 * in order of first appearance. Rows whose externalId or sequence the ledger
 * already holds (`ledger`) are duplicates when they are the same row, refused
 * as conflicts when they are not (domain/sync.ts judgeIdentity).
 */
export function planTransactions(
  checks: readonly RowCheck[],
  knownDefinitions: ReadonlySet<number>,
  knownContacts: ReadonlySet<string> | null,
  ledger?: EntryIndex,
): TransactionsPlan {
  const plan: TransactionsPlan = { accepted: [], notAccepted: [], errorMessages: [], missingDefinitionIds: [], missingContactIds: [], duplicates: [] };
  const missingDefinitions = new Set<number>();
  const missingContacts = new Set<string>();
  const repeats = repeatsWithinRequest(checks.flatMap((check) => (check.ok ? [check.transaction] : [])));
  for (const check of checks) {
    if (!check.ok) {
      plan.notAccepted.push(echoRow(check.row));
      plan.errorMessages.push(...check.messages);
      continue;
    }
    const { transaction, index } = check;
    const repeat = repeats.get(index);
    const messages: string[] = repeat ? [repeat] : [];
    if (!knownDefinitions.has(transaction.definitionId)) {
      missingDefinitions.add(transaction.definitionId);
      messages.push(`${fieldLabel(index, ['definitionId'])}: unknown definitionId ${transaction.definitionId}`);
    }
    if (knownContacts !== null && !knownContacts.has(transaction.contactId)) {
      missingContacts.add(transaction.contactId);
      messages.push(`${fieldLabel(index, ['contactId'])}: unknown contact ${transaction.contactId}`);
    }
    if (messages.length === 0 && ledger && transaction.sentFields !== undefined) {
      const verdict = judgeIdentity(transaction, ledger);
      if (verdict.kind === 'duplicate') {
        plan.duplicates.push(verdict.duplicate);
        continue;
      }
      if (verdict.kind === 'conflict') messages.push(verdict.message);
    }
    if (messages.length === 0) {
      plan.accepted.push(transaction);
      continue;
    }
    plan.notAccepted.push(echoRow(check.row));
    plan.errorMessages.push(...messages);
  }
  plan.missingDefinitionIds = [...missingDefinitions];
  plan.missingContactIds = [...missingContacts];
  return plan;
}

const accountOrder = (a: { contactId: string; definitionId: number }, b: { contactId: string; definitionId: number }) =>
  a.contactId < b.contactId ? -1 : a.contactId > b.contactId ? 1 : a.definitionId - b.definitionId;

/**
 * The distinct accounts a batch touches, sorted by (contact, definition): every
 * writer locks accounts in this one order, so concurrent batches cannot deadlock.
 * Lower-case uuid strings sort as Postgres sorts uuids.
 */
export function accountKeys(transactions: readonly StoredTransaction[]): { contactId: string; definitionId: number }[] {
  const seen = new Map<string, { contactId: string; definitionId: number }>();
  for (const t of transactions) seen.set(`${t.contactId}|${t.definitionId}`, { contactId: t.contactId, definitionId: t.definitionId });
  return [...seen.values()].sort(accountOrder);
}
