import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ADMIN_TOKEN, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
let port: number;
beforeAll(async () => {
  system = await startSystem({ HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
  const address = await system.app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(address).port);
});
afterAll(() => system?.close());

/**
 * Opens a connection, sends `head`, then one byte every `everyMs` (none when 0)
 * for at most `forMs`; resolves with what came back and when the server closed.
 */
function trickle(head: string, everyMs: number, forMs: number): Promise<{ answer: string; closedAfterMs: number | null }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let closedAfterMs: number | null = null;
    const ticker = everyMs > 0 ? setInterval(() => socket.destroyed || socket.write('x'), everyMs) : undefined;
    const deadline = setTimeout(() => finish(), forMs);
    const finish = () => {
      clearInterval(ticker);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ answer, closedAfterMs });
    };
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedAfterMs = Date.now() - started;
      finish();
    });
    socket.write(head);
  });
}

describe('request timeouts', () => {
  it('cuts off a body sent one byte at a time with 408 once HTTP_REQUEST_TIMEOUT_MS has passed', async () => {
    const head = [
      'POST /admin/v1/tenants HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${ADMIN_TOKEN}`,
      'Content-Type: application/json',
      'Content-Length: 1000',
      '',
      '',
    ].join('\r\n');
    const { answer, closedAfterMs } = await trickle(head, 200, 8000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs!).toBeLessThan(4000);
  });

  it('cuts off headers sent one byte at a time once HTTP_HEADERS_TIMEOUT_MS has passed', async () => {
    const { answer, closedAfterMs } = await trickle('GET /health HTTP/1.1\r\nX-Slow: ', 200, 8000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs!).toBeLessThan(3500);
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { answer, closedAfterMs } = await trickle('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 0, 8000);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(closedAfterMs!).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs!).toBeLessThan(4000);
  });

  it('refuses a headers timeout longer than the request timeout at start-up', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://x/y', REDIS_URL: 'redis://x', ADMIN_TOKEN, HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '2000' }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS/);
  });
});
