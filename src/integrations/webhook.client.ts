import { type Dispatcher, request } from 'undici';
import type { AttemptResult } from '../domain/deliveries.ts';
import { describeFailure, readCapped } from './outbound.ts';

/** Enough of the master's answer to tell an operator why it refused. */
const ANSWER_BYTES = 1024;

/**
 * POSTs one webhook. Never throws: every way it can end is an AttemptResult
 * for outcomeOfAttempt to judge. The status counts once it arrived within the
 * timeout; a body that then stalls does not turn a 2xx into a failure.
 */
export async function postWebhook(
  outbound: Dispatcher,
  webhook: { url: string; body: string; headers: Record<string, string> },
  timeoutMs: number,
): Promise<AttemptResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(webhook.url, {
      method: 'POST',
      dispatcher: outbound,
      headers: { 'content-type': 'application/json', 'user-agent': 'engage-point-follower', ...webhook.headers },
      body: webhook.body,
      signal,
    });
  } catch (err) {
    return { answered: false, error: describeFailure(err, signal.aborted, timeoutMs) };
  }
  const body = await readCapped(response.body, ANSWER_BYTES).then(
    (answer) => answer.text,
    () => '',
  );
  return { answered: true, status: response.statusCode, body };
}
