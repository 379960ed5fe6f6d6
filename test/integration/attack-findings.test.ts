import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { createUiUser, FORM, form, HTML, signIn } from '../support/ui.ts';

/** One case for each finding of the third attack pass that is not about sign-in (ui-auth.test.ts holds those). */
let system: TestSystem;
let ledgerTenant: Awaited<ReturnType<typeof createTenant>>;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  ledgerTenant = await createTenant(system.app, { mode: 'all-transaction' });
});
afterAll(() => system?.close());

const count = async (table: string) => (await system.runtime.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

describe('numbers too large for a double', () => {
  it.each([
    [
      'amount',
      '[{"contactId":"%c","amount":7,"definitionId":1,"source":"Purchase","description":"ok"},{"contactId":"%c","amount":1e400,"definitionId":1,"source":"Purchase","description":"x"}]',
      '[1].amount',
    ],
    [
      'definitionId',
      '[{"contactId":"%c","amount":7,"definitionId":1,"source":"Purchase","description":"ok"},{"contactId":"%c","amount":1,"definitionId":-1e999,"source":"Purchase","description":"x"}]',
      '[1].definitionId',
    ],
  ])('a transactions push with %s out of range answers 400 naming it, stores nothing, and a retry applies nothing twice', async (_field, template, path) => {
    const contactId = randomUUID();
    const payload = template.replaceAll('%c', contactId);
    const batches = await count('ingest_batch');
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await system.app.inject({
        method: 'POST',
        url: '/api/v2/point-accounts/transactions',
        headers: { ...ledgerTenant.headers, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().errors).toEqual([{ path, message: 'must be a finite number' }]);
    }
    expect(await count('ingest_batch')).toBe(batches);
  });

  it('a balance push with 1e400 answers 400, and a finite push beside it still works', async () => {
    const contactId = randomUUID();
    const refused = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: { ...ledgerTenant.headers, 'content-type': 'application/json' },
      payload: `[{"contactId":"${contactId}","amount":1e400,"definitionId":1,"timeStamp":"2024-01-01T00:00:00Z"}]`,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([{ path: '[0].amount', message: 'must be a finite number' }]);
    const accepted = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: { ...ledgerTenant.headers, 'content-type': 'application/json' },
      payload: `[{"contactId":"${contactId}","amount":1.7976931348623157e308,"definitionId":1,"source":"Purchase","description":"x"}]`,
    });
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(accepted.json().notAccepted).toEqual([expect.objectContaining({ amount: 1.7976931348623157e308 })]);
  });
});

describe("the contact card's adjustment form", () => {
  it.each(['a\u0000b', 'bell\u0007', 'esc\u001b[31m', 'next\u0085line', 'tab\there'])(
    'refuses a reason with a control character (%j) with 400 naming the field',
    async (description) => {
      const user = await createUiUser(system.app, ledgerTenant.id);
      const session = await signIn(system.app, { tenant: ledgerTenant.name, username: user.username, password: user.password });
      const adjustments = await count('point_adjustment');
      for (const accept of [HTML, { accept: 'application/json' }]) {
        const response = await system.app.inject({
          method: 'POST',
          url: `/ui/contacts/${randomUUID()}/adjustments`,
          headers: { ...accept, ...FORM, cookie: session.cookie },
          payload: form({ _csrf: session.csrf, definitionId: '1', direction: 'give', amount: '5', description }),
        });
        expect(response.statusCode, response.body).toBe(400);
        // One sentence per field: a NUL breaks two rules, and the first one found is said.
        expect(response.body).toContain(description.includes('\u0000') ? 'must not contain NUL' : 'must not contain control characters');
      }
      expect(await count('point_adjustment')).toBe(adjustments);
    },
  );
});

describe('a client that closes the connection mid-body', () => {
  it('is logged at info as an aborted request, never as a database outage', async () => {
    const lines: string[] = [];
    const logged = await startSystem({ LOG_LEVEL: 'info' }, { logLines: lines });
    try {
      const address = await logged.app.listen({ host: '127.0.0.1', port: 0 });
      const aborts = 5;
      for (let i = 0; i < aborts; i++) {
        const socket = connect(Number(new URL(address).port), '127.0.0.1');
        socket.on('error', () => undefined);
        const head = [
          'POST /admin/v1/tenants HTTP/1.1',
          'Host: 127.0.0.1',
          `Authorization: Bearer ${ADMIN_TOKEN}`,
          'Content-Type: application/json',
          'Content-Length: 1000',
        ];
        socket.write(`${head.join('\r\n')}\r\n\r\n{"name":`);
        // Once the server holds the request (its log says so), the client goes away.
        await expect.poll(() => lines.filter((line) => line.includes('"incoming request"')).length).toBe(i + 1);
        socket.destroy();
      }
      const aborted = () =>
        lines.map((line) => JSON.parse(line) as { level: number; msg: string; kind?: string }).filter((entry) => entry.msg === 'request aborted by the client');
      await expect.poll(() => aborted().length).toBe(aborts);
      expect(aborted().every((entry) => entry.level === 30 && entry.kind === 'client-aborted')).toBe(true);
      expect(lines.filter((line) => line.includes('database unavailable'))).toEqual([]);
      expect(lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
    } finally {
      await logged.close();
    }
  });
});
