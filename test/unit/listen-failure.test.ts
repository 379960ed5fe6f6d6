import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenFailure } from '../../src/listen-failure.ts';
import { humanLogLine } from '../../src/log-lines.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { startMetricsServer } from '../../src/metrics-server.ts';

describe('a port that cannot be had', () => {
  it('names the port, the host and the setting that changes it', () => {
    const taken = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3000'), { code: 'EADDRINUSE' });
    expect(listenFailure(taken, '127.0.0.1', 3000, 'PORT')).toBe(
      'Port 3000 on 127.0.0.1 is already taken by another program. Stop that program, or choose another port with PORT (in .env or the environment, e.g. PORT=3001).',
    );
    expect(listenFailure(Object.assign(new Error('x'), { code: 'EACCES' }), '0.0.0.0', 80, 'WORKER_METRICS_PORT')).toMatch(
      /^Port 80 on 0\.0\.0\.0 needs privileges .* WORKER_METRICS_PORT/,
    );
    expect(listenFailure(new Error('something else'), '127.0.0.1', 3000, 'PORT')).toBeUndefined();
  });

  it("makes the worker's metrics server reject, so the worker can say so", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const started = startMetricsServer(createMetrics(), '127.0.0.1', port, createLogger('silent', 'test'));
      await expect(started).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });
});

describe('human log lines', () => {
  it('shows time, level, message and fields, and passes other lines unchanged', () => {
    const time = new Date(2026, 11, 7, 9, 5, 3).getTime();
    const line = JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', name: 'api', msg: 'request failed', code: 'validation', detail: 'Two words' });
    expect(humanLogLine(line)).toBe('09:05:03 WARN  request failed code=validation detail="Two words"');
    const request = JSON.stringify({
      level: 30,
      time,
      msg: 'request completed',
      req: { method: 'GET', url: '/ready' },
      res: { statusCode: 200 },
      responseTime: 1.234,
    });
    expect(humanLogLine(request)).toBe('09:05:03 INFO  request completed GET /ready -> 200 1.2 ms');
    expect(humanLogLine('not json at all')).toBe('not json at all');
  });

  it("puts an error's stack on indented lines below its message", () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'request failed', err: { message: 'boom', stack: 'Error: boom\n    at f (a.ts:1:1)' } });
    expect(humanLogLine(line).split('\n')).toEqual([expect.stringMatching(/ERROR request failed error=boom$/), '    at f (a.ts:1:1)']);
  });
});
