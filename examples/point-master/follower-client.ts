/** The follower's tenant API, as this master calls it. */
export interface Follower {
  url: string;
  apiKey: string;
}

const headers = (follower: Follower) => ({ 'content-type': 'application/json', apikey: follower.apiKey });

/**
 * Tells the follower an account's new balance (balance-only mode). The
 * timeStamp is when the master computed it: the follower skips a balance
 * older than the one it already has, so pushes may arrive in any order.
 */
export async function pushBalance(
  follower: Follower,
  balance: { contactId: string; definitionId: number; amount: number; timeStamp: Date },
): Promise<{ batchId: string }> {
  const response = await fetch(new URL('/api/v2/point-accounts/balances', follower.url), {
    method: 'POST',
    headers: headers(follower),
    body: JSON.stringify([
      { contactId: balance.contactId, amount: balance.amount, definitionId: balance.definitionId, timeStamp: balance.timeStamp.toISOString() },
    ]),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 202) throw new Error(`The follower answered ${response.status}: ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  return { batchId: id };
}

/** One row of the transactions push, as this master sends it: always with its externalId and sequence. */
export interface TransactionRow {
  contactId: string;
  definitionId: number;
  amount: number;
  source: string;
  description: string;
  timeStamp: string;
  externalId: string;
  sequence: number;
}

/** Pushes transaction rows (all-transaction mode, at most 1000); answers the batch id. */
export async function pushTransactions(
  follower: Follower,
  rows: readonly TransactionRow[],
): Promise<{ batchId: string; duplicateCount: number; refused: string[] }> {
  const response = await fetch(new URL('/api/v2/point-accounts/transactions', follower.url), {
    method: 'POST',
    headers: headers(follower),
    body: JSON.stringify(rows),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 202) throw new Error(`The follower answered ${response.status}: ${await response.text()}`);
  const answer = (await response.json()) as { id: string; duplicateCount: number; errorMessages: string[] };
  return { batchId: answer.id, duplicateCount: answer.duplicateCount, refused: answer.errorMessages };
}

/** The status of a pushed batch: final once Completed, CompletedWithErrors or Failed. */
export async function batchIsFinal(follower: Follower, batchId: string): Promise<boolean> {
  const response = await fetch(new URL(`/api/v2/point-accounts/transactions/status/${batchId}`, follower.url), {
    headers: headers(follower),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) throw new Error(`The follower answered ${response.status}: ${await response.text()}`);
  const { status } = (await response.json()) as { status: string };
  return status === 'Completed' || status === 'CompletedWithErrors' || status === 'Failed';
}

export interface SyncPosition {
  contiguousThrough: number;
  highestSequence: number;
  missingCount: number;
  gaps: { from: number; to: number; since: string }[];
}

/** Where the follower's copy of this master's stream stands. */
export async function readSync(follower: Follower): Promise<SyncPosition> {
  const response = await fetch(new URL('/api/v2/point-accounts/sync', follower.url), { headers: headers(follower), signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`The follower answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as SyncPosition;
}
