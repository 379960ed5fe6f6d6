import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresSettings } from '../../scripts/up/local-servers.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { scryptParams } from '../../src/domain/passwords.ts';

const valid = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/pf',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ADMIN_TOKEN: 'a-long-enough-admin-token-of-32-ch',
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

  it('reads WORKER_QUEUES as a list of queues, all of them when unset or empty, and names an unknown one', () => {
    expect(loadConfig(valid).queue.workerQueues).toEqual(['ingest', 'webhooks', 'reconciliations', 'events']);
    expect(loadConfig({ ...valid, WORKER_QUEUES: '' }).queue.workerQueues).toEqual(['ingest', 'webhooks', 'reconciliations', 'events']);
    expect(loadConfig({ ...valid, WORKER_QUEUES: ' reconciliations, webhooks,webhooks ' }).queue.workerQueues).toEqual(['webhooks', 'reconciliations']);
    expect(() => loadConfig({ ...valid, WORKER_QUEUES: 'webhooks,mail' })).toThrow(
      /WORKER_QUEUES: unknown queue mail; the queues are ingest, webhooks, reconciliations, events/,
    );
  });

  it('refuses an admin token shorter than 32 characters, naming the setting', () => {
    expect(() => loadConfig({ ...valid, ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: must be at least 32 characters/);
    expect(() => loadConfig({ ...valid, ADMIN_TOKEN: 'x'.repeat(31) })).toThrow(/ADMIN_TOKEN/);
    expect(loadConfig({ ...valid, ADMIN_TOKEN: 'x'.repeat(32) }).adminToken).toBe('x'.repeat(32));
  });

  it('refuses every admin token the project prints in its own files', () => {
    const files = ['.env.example', 'docker-compose.yml', 'README.md', 'docs/point-master-guide.md', 'docs/operations.md', 'docs/security.md'];
    const printed = new Set<string>();
    for (const file of files) {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      // ADMIN_TOKEN=value, ADMIN_TOKEN: value, ${ADMIN_TOKEN:-value} and "Bearer value" in the examples.
      for (const match of text.matchAll(/ADMIN_TOKEN(?:=|: |:-)([A-Za-z0-9_+/=.-]{8,})|Bearer ([A-Za-z0-9_+/=.-]{16,})/g)) {
        printed.add((match[1] ?? match[2])!);
      }
    }
    // The example value the project printed until this release is refused whatever the files say now.
    printed.add('change-me-to-a-long-random-secret');
    for (const token of printed) {
      expect(() => loadConfig({ ...valid, ADMIN_TOKEN: token }), token).toThrow(/ADMIN_TOKEN: /);
    }
  });

  it('compose needs ADMIN_TOKEN from the environment and publishes the API on 127.0.0.1 unless told', () => {
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(compose).toMatch(/^\s+ADMIN_TOKEN: \$\{ADMIN_TOKEN:\?[^}]+\}$/m);
    expect(compose).not.toMatch(/ADMIN_TOKEN:-/);
    const ports = [...compose.matchAll(/ports: \[(.*)\]/g)].map((match) => match[1]);
    expect(ports).toEqual(['"${API_BIND:-127.0.0.1}:${API_PORT:-3000}:3000"']);
  });

  it("compose's Postgres runs with deploy/postgresql.conf, whose every line is a setting", () => {
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(compose).toContain('- ./deploy/postgresql.conf:/etc/postgresql/postgresql.conf:ro');
    expect(compose).toContain('"config_file=/etc/postgresql/postgresql.conf"');
    const names = postgresSettings().map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(['shared_buffers', 'max_wal_size', 'checkpoint_completion_target', 'wal_compression', 'autovacuum']));
    expect(Object.fromEntries(postgresSettings()).autovacuum).toBe('on');
    const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'pf-conf-')), 'postgresql.conf');
    writeFileSync(probe, 'shared_buffers = 1GB  # fine\ninclude_dir conf.d\n');
    expect(() => postgresSettings(probe)).toThrow(/not a "name = value" line: include_dir conf.d/);
  });

  it('trusts X-Forwarded-For only from the proxies listed, never from everyone', () => {
    expect(loadConfig(valid).http.trustProxy).toEqual([]);
    expect(loadConfig({ ...valid, TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1, fd00::/8' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'fd00::/8',
    ]);
    expect(() => loadConfig({ ...valid, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would believe X-Forwarded-For from anyone/);
    expect(() => loadConfig({ ...valid, TRUST_PROXY: '10.0.0.0/33,proxy.local,1' })).toThrow(/TRUST_PROXY: .*not one: 10.0.0.0\/33, proxy.local, 1/);
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
    expect(loadConfig(valid).ui).toEqual({ sessionIdleMs: 3_600_000, sessionMaxAgeMs: 43_200_000, testOnlyScryptLogN: null });
  });

  it('take other limits from the environment', () => {
    expect(loadConfig({ ...valid, UI_SESSION_IDLE_MINUTES: '15', UI_SESSION_MAX_HOURS: '8' }).ui).toEqual({
      sessionIdleMs: 900_000,
      sessionMaxAgeMs: 28_800_000,
      testOnlyScryptLogN: null,
    });
    expect(() => loadConfig({ ...valid, UI_SESSION_IDLE_MINUTES: '0' })).toThrow(/UI_SESSION_IDLE_MINUTES/);
  });

  it('hash new passwords at the production cost unless a test sets its own, never below what a stored hash may have', () => {
    expect(scryptParams(loadConfig(valid).ui.testOnlyScryptLogN)).toEqual({ logN: 15, r: 8, p: 1 });
    expect(scryptParams(loadConfig({ ...valid, TEST_ONLY_SCRYPT_LOG_N: '' }).ui.testOnlyScryptLogN).logN).toBe(15);
    expect(scryptParams(loadConfig({ ...valid, TEST_ONLY_SCRYPT_LOG_N: '10' }).ui.testOnlyScryptLogN)).toEqual({ logN: 10, r: 8, p: 1 });
    expect(() => loadConfig({ ...valid, TEST_ONLY_SCRYPT_LOG_N: '9' })).toThrow(/TEST_ONLY_SCRYPT_LOG_N/);
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

  it('reads SECRETS_KEY and SECRETS_KEY_PREVIOUS as 32-byte base64 keys; empty counts as unset', () => {
    const key = Buffer.alloc(32, 1);
    const old = [Buffer.alloc(32, 2), Buffer.alloc(32, 3)];
    const config = loadConfig({ ...valid, SECRETS_KEY: key.toString('base64'), SECRETS_KEY_PREVIOUS: old.map((k) => k.toString('base64')).join(',') });
    expect(config.secrets).toEqual({ key, previousKeys: old });
    expect(loadConfig({ ...valid, SECRETS_KEY: '', SECRETS_KEY_PREVIOUS: '' }).secrets).toEqual({ key: null, previousKeys: [] });
    expect(loadConfig(valid).secrets).toEqual({ key: null, previousKeys: [] });
  });

  it('names a bad secrets key', () => {
    const short = Buffer.alloc(31).toString('base64');
    expect(() => loadConfig({ ...valid, SECRETS_KEY: short })).toThrow(/SECRETS_KEY: key 1: must be 32 bytes in base64/);
    expect(() => loadConfig({ ...valid, SECRETS_KEY: 'not base64 at all!' })).toThrow(/SECRETS_KEY: key 1: must be 32 bytes/);
    const good = Buffer.alloc(32, 1).toString('base64');
    expect(() => loadConfig({ ...valid, SECRETS_KEY: `${good},${good}` })).toThrow(/SECRETS_KEY: must be one key/);
    expect(() => loadConfig({ ...valid, SECRETS_KEY: good, SECRETS_KEY_PREVIOUS: `${good},${short}` })).toThrow(
      /SECRETS_KEY_PREVIOUS: key 2: must be 32 bytes/,
    );
    expect(() => loadConfig({ ...valid, SECRETS_KEY_PREVIOUS: good })).toThrow(/SECRETS_KEY_PREVIOUS: needs SECRETS_KEY/);
  });
});
