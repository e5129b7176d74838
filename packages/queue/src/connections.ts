import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'producer' | 'worker' | 'admin';

/**
 * Producers fail fast (an ingest request must not hang on a dead Redis: it answers 503 and the
 * platform, for CDRs, retries); workers wait forever for Redis to come back, as BullMQ requires.
 */
export function createRedisConnection(url: string, role: RedisRole, overrides: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    connectionName: `callpipe-${role}`,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
    ...overrides,
  };
  if (role === 'worker') return new Redis(url, { ...common, maxRetriesPerRequest: null, enableReadyCheck: true });
  // Tools and admin commands wait a little for the connection, then fail.
  if (role === 'admin') return new Redis(url, { ...common, maxRetriesPerRequest: 3 });
  return new Redis(url, { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
}

/** `{callpipe}`: a hash tag, so every key of the queue lands in one Redis Cluster slot. */
export function queuePrefix(configured: string): string {
  return configured.startsWith('{') ? configured : `{${configured}}`;
}
