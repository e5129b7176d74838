import { backoffDelayMs } from '@callpipe/runtime';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl, type RedisTarget } from './redis-url.ts';

export { parseRedisUrl, redisUrlProblem, RedisUrlError, REDIS_URL_FORMS, type RedisEndpoint, type RedisTarget } from './redis-url.ts';

export type RedisRole = 'producer' | 'worker' | 'admin';

/** One server or Sentinel-managed master (`Redis`), or a Redis Cluster (`Cluster`); BullMQ takes both. */
export type RedisClient = Redis | Cluster;

// ioredis counts reconnection attempts from 1: ceilings of 200 ms, 400 ms, … up to 5 s. Jittered, so
// every worker and ingest does not reconnect in the same instant after a Redis restart.
const backoff = (attempt: number) => backoffDelayMs(attempt, { baseMs: 200, maxMs: 5_000 });

/**
 * Producers fail fast (an ingest request must not hang on a dead Redis: it answers 503 and the
 * platform, for CDRs, retries); workers wait forever for Redis to come back, as BullMQ requires.
 * REDIS_URL chooses the shape: one server, a Redis Cluster or Sentinels (see redis-url.ts).
 */
export function createRedisConnection(url: string, role: RedisRole, overrides: RedisOptions = {}): RedisClient {
  const options = roleOptions(role, overrides);
  const target = parseRedisUrl(url);
  switch (target.kind) {
    case 'single':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis(sentinelOptions(target, options));
    case 'cluster':
      return new Cluster(target.nodes, clusterOptions(target, options));
  }
}

function roleOptions(role: RedisRole, overrides: RedisOptions): RedisOptions {
  const common: RedisOptions = { connectionName: `callpipe-${role}`, connectTimeout: 5_000, retryStrategy: backoff, ...overrides };
  if (role === 'worker') return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  // Tools and admin commands wait a little for the connection, then fail.
  if (role === 'admin') return { ...common, maxRetriesPerRequest: 3 };
  return { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false };
}

function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>, options: RedisOptions): RedisOptions {
  return {
    ...options,
    sentinels: target.sentinels,
    name: target.masterName,
    username: target.username,
    password: target.password,
    sentinelUsername: target.sentinelUsername,
    sentinelPassword: target.sentinelPassword,
    // Reconnect to the new master as soon as the Sentinels announce a switch, instead of when the
    // old one drops us; a write that reached a demoted master is refused (READONLY, not executed),
    // so reconnecting and resending it is safe.
    failoverDetector: true,
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
  };
}

/**
 * ioredis gives every node connection of a cluster `retryStrategy: null` and an offline queue of
 * its own (a lost node is replaced after the next MOVED or slot refresh), so the role's retry and
 * offline-queue choices apply to the cluster as a whole. `maxRetriesPerRequest` stays per node:
 * BullMQ reads it from `redisOptions` and requires null for workers.
 */
function clusterOptions(target: Extract<RedisTarget, { kind: 'cluster' }>, options: RedisOptions): ClusterOptions {
  const { retryStrategy, enableOfflineQueue, lazyConnect, enableReadyCheck, ...perNode } = options;
  return {
    redisOptions: { ...perNode, username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) },
    clusterRetryStrategy: retryStrategy ?? backoff,
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableReadyCheck: enableReadyCheck ?? true,
    lazyConnect: lazyConnect ?? false,
    // Every key of a queue lives on the master of its slot; replicas would serve stale job states.
    scaleReads: 'master',
    // Keep host names as given, so TLS can check certificates issued for names, not addresses.
    ...(target.tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
  };
}

/** `{callpipe}`: a hash tag, so every key of the queue lands in one Redis Cluster slot. */
export function queuePrefix(configured: string): string {
  return configured.startsWith('{') ? configured : `{${configured}}`;
}
