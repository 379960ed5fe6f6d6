import type { FastifyInstance, InjectOptions } from 'fastify';
import { expect } from 'vitest';
import type { RowChange, RowChangeLog } from './tables.ts';

/**
 * One case of "no 5xx once something is committed": the request named `name`
 * (made ready by `requests[name]`, outside the failure) is sent with its
 * answer made to fail (`injected.failing`), and must answer 5xx and leave
 * every table as it was but for what `kept` allows; sent again without the
 * failure, it must answer below `successBelow` and, when it `writes`, write.
 */
export async function expectFailedAnswerStoresNothing(options: {
  app: FastifyInstance;
  rowChanges: RowChangeLog;
  injected: { failing: boolean };
  name: string;
  requests: Record<string, () => Promise<InjectOptions>>;
  successBelow: number;
  writes: boolean;
  kept?: (change: RowChange) => boolean;
}): Promise<void> {
  const { app, rowChanges, injected, name, kept = () => false } = options;
  const make = options.requests[name];
  if (!make) throw new Error(`No request for ${name}: add one to \`requests\``);
  const request = await make();

  const before = await rowChanges.mark();
  injected.failing = true;
  const failed = await app.inject(request).finally(() => (injected.failing = false));
  expect(failed.statusCode, failed.body).toBeGreaterThanOrEqual(500);
  expect((await rowChanges.since(before)).filter((change) => !kept(change))).toEqual([]);

  const retried = await app.inject(request);
  expect(retried.statusCode, retried.body).toBeLessThan(options.successBelow);
  if (options.writes) expect((await rowChanges.since(before)).length).toBeGreaterThan(0);
}
