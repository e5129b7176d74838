import { replayKey } from '@callpipe/auth';
import type { RedisClient } from '@callpipe/queue';

export type NonceVerdict = 'fresh' | 'replayed' | 'unchecked';

/**
 * Remembers accepted nonces in Redis, shared by every ingest replica. When Redis cannot answer, the
 * push is accepted as `unchecked` (and counted): a status push rejected here would be lost for good,
 * while a replayed push is at worst one extra counted delivery.
 */
export class NonceStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly timeoutMs: number;

  constructor(redis: RedisClient, options: { prefix: string; ttlSeconds: number; timeoutMs: number }) {
    this.redis = redis;
    this.prefix = options.prefix;
    this.ttlSeconds = options.ttlSeconds;
    this.timeoutMs = options.timeoutMs;
  }

  async claim(appKey: string, nonce: string): Promise<NonceVerdict> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        this.redis.set(`${this.prefix}:${replayKey(appKey, nonce)}`, '1', 'EX', this.ttlSeconds, 'NX'),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.timeoutMs))),
      ]);
      if (answer === 'timeout') return 'unchecked';
      return answer === 'OK' ? 'fresh' : 'replayed';
    } catch {
      return 'unchecked';
    } finally {
      clearTimeout(timer);
    }
  }
}
