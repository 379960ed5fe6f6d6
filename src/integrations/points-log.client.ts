import { type Dispatcher, request } from 'undici';
import { pointsLog } from '../contracts/points-log.ts';
import { answerPath, newestFirst, type PointsLogEntry } from '../domain/points-log.ts';
import { AppError } from '../errors.ts';
import { describeFailure, readCapped, refusalOf } from './outbound.ts';

/** A points log is a list of lines; anything bigger than this is a broken master, not a long history. */
const MAX_ANSWER_BYTES = 5 * 1024 * 1024;
const MAX_LISTED_PROBLEMS = 5;

export interface PointsLogRequest {
  url: string;
  authHeader: { name: string; value: string } | null;
}

/**
 * Fetches one contact's points log from the master and returns it newest
 * first. Every way the master can fail maps to a problem that says what went
 * wrong: 504 when it is slow, 502 when it errs, answers a wrong shape, or its
 * address is refused.
 */
export async function fetchPointsLog(outbound: Dispatcher, target: PointsLogRequest, timeoutMs: number): Promise<PointsLogEntry[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let answer: { text: string; truncated: boolean };
  try {
    const response = await request(target.url, {
      method: 'GET',
      dispatcher: outbound,
      headers: {
        accept: 'application/json',
        'user-agent': 'engage-point-follower',
        ...(target.authHeader && { [target.authHeader.name]: target.authHeader.value }),
      },
      signal,
    });
    status = response.statusCode;
    answer = await readCapped(response.body, MAX_ANSWER_BYTES);
  } catch (err) {
    if (signal.aborted) throw new AppError('gateway_timeout', `The point master did not answer within ${timeoutMs} ms`);
    const refusal = refusalOf(err);
    if (refusal) throw new AppError('outbound_refused', `The points-log URL was not called: ${refusal.message}`);
    throw new AppError('bad_gateway', `The point master could not be reached: ${describeFailure(err, false, timeoutMs)}`);
  }

  if (status < 200 || status > 299) {
    const redirect = status >= 300 && status < 400 ? '; redirects are not followed, configure the final URL' : '';
    throw new AppError('bad_gateway', `The point master answered ${status} instead of 200${redirect}`);
  }
  if (answer.truncated) throw new AppError('bad_gateway', `The point master's answer is larger than ${MAX_ANSWER_BYTES} bytes`);

  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw new AppError(
      'bad_gateway',
      'The point master answered with something that is not JSON; it should be an array of {transactionDate, amount, description}',
    );
  }
  const parsed = pointsLog.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, MAX_LISTED_PROBLEMS).map((issue) => `${answerPath(issue.path)}: ${issue.message}`);
    const more = parsed.error.issues.length > MAX_LISTED_PROBLEMS ? ` (and ${parsed.error.issues.length - MAX_LISTED_PROBLEMS} more)` : '';
    throw new AppError(
      'bad_gateway',
      `The point master's answer has the wrong shape: it should be an array of {transactionDate, amount, description}: ${problems.join('; ')}${more}`,
    );
  }
  return newestFirst(parsed.data);
}
