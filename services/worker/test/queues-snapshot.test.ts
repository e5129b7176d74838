import { afterAll, describe, expect, it } from 'vitest';
import { createPushQueues, createRedisConnection, queuesSnapshot } from '@callpipe/queue';
import { testContext, uniqueQueuePrefix } from '@callpipe/testkit';

const { redisUrl } = testContext();
const redis = createRedisConnection(redisUrl, 'worker');
const shards = createPushQueues(redis, uniqueQueuePrefix('snapshot'), 3);

afterAll(async () => {
  for (const queue of shards) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.quit();
});

const data = (deliveryId: string) => ({
  deliveryId,
  source: 'test',
  receivedAt: new Date().toISOString(),
  contentType: null,
  body: '{}',
  bodyEncoding: 'utf8' as const,
  rejection: null,
});

describe('queuesSnapshot', () => {
  it('sums the counts of every shard, takes the oldest waiting job of any shard, and reads Redis memory', async () => {
    const [first, second, third] = shards;
    // Aged by its creation timestamp, not by waiting: the job was "added" 90 s ago.
    const agedBy = 90;
    const takenAt = Date.now();
    await second!.add('status', data('snapshot-old'), { jobId: 'snapshot-old', timestamp: takenAt - agedBy * 1000 });
    await first!.add('status', data('snapshot-new-1'), { jobId: 'snapshot-new-1' });
    await first!.add('status', data('snapshot-new-2'), { jobId: 'snapshot-new-2' });
    await third!.add('status', data('snapshot-delayed'), { jobId: 'snapshot-delayed', delay: 60_000 });

    const snapshot = await queuesSnapshot(shards);
    expect(snapshot.counts).toMatchObject({ waiting: 3, delayed: 1, active: 0, failed: 0 });
    // The aged job is the oldest, on another shard than the newer ones; the bound is the test's own run time.
    expect(snapshot.oldestWaitingAgeSeconds).toBeGreaterThanOrEqual(agedBy);
    expect(snapshot.oldestWaitingAgeSeconds).toBeLessThanOrEqual(agedBy + (Date.now() - takenAt) / 1000);
    expect(snapshot.redisUsedMemoryBytes).toBeGreaterThan(0);
  });
});
