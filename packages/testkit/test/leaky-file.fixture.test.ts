import { Redis } from 'ioredis';
import { inject, it } from 'vitest';
import { testContext } from '@callpipe/testkit';

// Leaks a Redis client on purpose, for leak-check.test.ts, which runs this file in a vitest of its
// own and expects it to fail. In every other run it does nothing.
it.runIf(inject('leakFixture'))('leaves a Redis client open', async () => {
  const redis = new Redis(testContext().redisUrl, { connectionName: 'callpipe-test-leaky-fixture' });
  await redis.ping();
});
