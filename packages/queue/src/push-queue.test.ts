import { describe, expect, it } from 'vitest';
import { queuePrefix } from './connections.ts';
import { retryDelayMs } from './push-queue.ts';

describe('retryDelayMs', () => {
  const policy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 60_000 };

  it('grows exponentially with jitter between half and all of the ceiling', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(250);
    expect(retryDelayMs(1, policy, () => 1)).toBe(500);
    expect(retryDelayMs(4, policy, () => 1)).toBe(4_000);
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(40, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(40, policy, () => 0)).toBe(30_000);
  });
});

describe('queuePrefix', () => {
  it('wraps the configured prefix in a Redis Cluster hash tag once', () => {
    expect(queuePrefix('callpipe')).toBe('{callpipe}');
    expect(queuePrefix('{callpipe}')).toBe('{callpipe}');
  });
});
