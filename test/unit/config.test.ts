import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const valid = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/pf',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ADMIN_TOKEN: 'a-long-enough-admin-token',
};

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig(valid);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(config.limits.maxBatchItems).toBe(1000);
  });

  it('names every bad variable', () => {
    const attempt = () => loadConfig({ ...valid, PORT: 'eighty', REDIS_URL: 'http://x', ADMIN_TOKEN: undefined });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/REDIS_URL/);
    expect(attempt).toThrow(/ADMIN_TOKEN/);
  });

  it('refuses a short admin token', () => {
    expect(() => loadConfig({ ...valid, ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: must be at least 16 characters/);
  });

  it('defaults outbound calls to public addresses only, with the documented webhook schedule', () => {
    const config = loadConfig(valid);
    expect(config.outbound.allowPrivate).toBe(false);
    expect(config.webhooks).toMatchObject({ timeoutMs: 15000, retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] });
    expect(config.pointsLog.timeoutMs).toBe(5000);
  });

  it('reads a compressed retry schedule and names a bad one', () => {
    expect(loadConfig({ ...valid, WEBHOOK_RETRY_SCHEDULE: '100ms,200ms' }).webhooks.retryScheduleMs).toEqual([100, 200]);
    expect(() => loadConfig({ ...valid, WEBHOOK_RETRY_SCHEDULE: '5s,soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE: "soon" is not a duration/);
  });
});

describe('contact card sessions', () => {
  it('default to one idle hour and twelve hours at most', () => {
    expect(loadConfig(valid).ui).toEqual({ sessionIdleMs: 3_600_000, sessionMaxAgeMs: 43_200_000 });
  });

  it('take other limits from the environment', () => {
    expect(loadConfig({ ...valid, UI_SESSION_IDLE_MINUTES: '15', UI_SESSION_MAX_HOURS: '8' }).ui).toEqual({
      sessionIdleMs: 900_000,
      sessionMaxAgeMs: 28_800_000,
    });
    expect(() => loadConfig({ ...valid, UI_SESSION_IDLE_MINUTES: '0' })).toThrow(/UI_SESSION_IDLE_MINUTES/);
  });

  it('reads Redis Cluster nodes, gives the queue prefix a hash tag and keeps counters out of it', () => {
    const single = loadConfig(valid);
    expect(single.redisClusterNodes).toEqual([]);
    expect(single.queue.prefix).toBe('pf');
    const cluster = loadConfig({ ...valid, REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' });
    expect(cluster.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(cluster.queue.prefix).toBe('{pf}');
    expect(cluster.limits.keyPrefix).toBe('pf');
    expect(loadConfig({ ...valid, REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'x{q}' }).queue.prefix).toBe('x{q}');
    expect(() => loadConfig({ ...valid, REDIS_CLUSTER_NODES: 'a:1,b,c:99999' })).toThrow(/REDIS_CLUSTER_NODES: .*not one: b, c:99999/);
  });
});
