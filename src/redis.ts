import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';

/** One Redis server or a Redis Cluster: the follower uses only commands both answer the same way. */
export type RedisClient = Redis | Cluster;

/**
 * Connects to Redis as configured: REDIS_URL alone is one server; with
 * REDIS_CLUSTER_NODES it is a cluster, REDIS_URL giving the credentials and
 * TLS for every node. `options` are per connection (retries, timeouts).
 */
export function connectRedis(config: Pick<Config, 'redisUrl' | 'redisClusterNodes'>, options: RedisOptions): RedisClient {
  if (config.redisClusterNodes.length === 0) return new Redis(config.redisUrl, options);
  const url = new URL(config.redisUrl);
  const seed = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  return new Cluster([...config.redisClusterNodes, seed], {
    redisOptions: {
      ...options,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
    },
    // Blocking BullMQ reads must wait through a failover rather than fail the command.
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
  });
}
