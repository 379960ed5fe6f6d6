/**
 * Tells the follower an account's new balance (balance-only mode). The
 * timeStamp is when the master computed it: the follower skips a balance
 * older than the one it already has, so pushes may arrive in any order.
 */
export async function pushBalance(
  follower: { url: string; apiKey: string },
  balance: { contactId: string; definitionId: number; amount: number; timeStamp: Date },
): Promise<{ batchId: string }> {
  const response = await fetch(new URL('/api/v2/point-accounts/balances', follower.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: follower.apiKey },
    body: JSON.stringify([
      { contactId: balance.contactId, amount: balance.amount, definitionId: balance.definitionId, timeStamp: balance.timeStamp.toISOString() },
    ]),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 202) throw new Error(`The follower answered ${response.status}: ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  return { batchId: id };
}
