/** One item of a balance batch, as the contract accepts it: the account's balance at timeStamp (a canonical ISO string). */
export interface BalanceItem {
  contactId: string;
  amount: number;
  definitionId: number;
  timeStamp: string;
}

/** A balance item that survived in-batch de-duplication, with its index in the request. */
export interface BalanceWinner extends BalanceItem {
  index: number;
}

export interface SkippedItem {
  index: number;
  message: string;
}

export interface BalancePlan {
  /** At most one item per (contact, definition), sorted by that key so concurrent batches lock rows in one order. */
  winners: BalanceWinner[];
  skipped: SkippedItem[];
}

const accountKey = (item: { contactId: string; definitionId: number }) => `${item.contactId}|${item.definitionId}`;

/** Spelled out rather than `{ ...item, index }`: object spread made planning a 1000-item batch thirty times slower. */
const withIndex = (item: BalanceItem, index: number): BalanceWinner => ({
  contactId: item.contactId,
  amount: item.amount,
  definitionId: item.definitionId,
  timeStamp: item.timeStamp,
  index,
});

/**
 * The ordering rule: a balance is stale when it is older than the one already
 * applied to the account. An equal timeStamp is not stale (re-sending the same
 * balance is harmless). The SQL upsert enforces the same rule atomically.
 */
export function isStale(timeStamp: Date, appliedTimeStamp: Date | null): boolean {
  return appliedTimeStamp !== null && timeStamp.getTime() < appliedTimeStamp.getTime();
}

/**
 * Decides, without I/O, which items of a batch compete for the database:
 * items for unknown definitions are skipped, and per (contact, definition) the
 * newest timeStamp wins, ties going to the later item.
 */
export function planBalanceBatch(items: readonly BalanceItem[], knownDefinitionIds: ReadonlySet<number>): BalancePlan {
  const best = new Map<string, BalanceWinner>();
  const skipped: SkippedItem[] = [];

  items.forEach((item, index) => {
    if (!knownDefinitionIds.has(item.definitionId)) {
      skipped.push({ index, message: `Item [${index}] skipped: unknown definitionId ${item.definitionId}` });
      return;
    }
    const key = accountKey(item);
    const current = best.get(key);
    if (current === undefined) {
      best.set(key, withIndex(item, index));
      return;
    }
    const loser = Date.parse(item.timeStamp) >= Date.parse(current.timeStamp) ? current : withIndex(item, index);
    const winner = loser === current ? withIndex(item, index) : current;
    best.set(key, winner);
    skipped.push({
      index: loser.index,
      message: `Item [${loser.index}] skipped: superseded by item [${winner.index}] for the same account in this batch`,
    });
  });

  const winners = [...best.values()].sort((a, b) => (a.contactId < b.contactId ? -1 : a.contactId > b.contactId ? 1 : a.definitionId - b.definitionId));
  skipped.sort((a, b) => a.index - b.index);
  return { winners, skipped };
}

/** The skip record of a winner the database refused; the refusal must be the ordering rule, anything else is a bug. */
export function staleSkip(winner: BalanceWinner, appliedTimeStamp: Date | null): SkippedItem {
  if (!isStale(new Date(winner.timeStamp), appliedTimeStamp)) {
    throw new Error(`Item [${winner.index}] was refused by the database but is not stale`);
  }
  return {
    index: winner.index,
    message: `Item [${winner.index}] skipped: timeStamp ${winner.timeStamp} is older than the balance already applied (${appliedTimeStamp?.toISOString()})`,
  };
}
