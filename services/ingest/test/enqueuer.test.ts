import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPushQueues, createRedisConnection, Enqueuer, queuedPushes, shardOf, type PushJobData } from '@callpipe/queue';
import { testContext, uniqueQueuePrefix } from '@callpipe/testkit';

const { redisUrl } = testContext();
const redis = createRedisConnection(redisUrl, 'worker');
const opened: Array<ReturnType<typeof createPushQueues>> = [];

function queues(shards: number) {
  const created = createPushQueues(redis, uniqueQueuePrefix('enqueuer'), shards);
  opened.push(created);
  return created;
}

const push = (routingKey?: string): PushJobData => ({
  deliveryId: randomUUID(),
  source: 'test',
  receivedAt: new Date().toISOString(),
  contentType: null,
  body: '{}',
  bodyEncoding: 'utf8',
  rejection: null,
  ...(routingKey === undefined ? {} : { routingKey }),
});

afterAll(async () => {
  for (const group of opened) {
    for (const queue of group) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }
  await redis.quit();
});

describe('Enqueuer', () => {
  it('when one push arrives alone, then it is a job of its own keyed by its delivery id', async () => {
    const [queue] = queues(1);
    const enqueuer = new Enqueuer([queue!], { maxBatch: 100, timeoutMs: 2_000 });
    const data = push('session-alone');
    await enqueuer.enqueue('status', data);
    const jobs = await queue!.getJobs(['waiting']);
    expect(jobs.map((job) => [job.id, job.name])).toEqual([[data.deliveryId, 'status']]);
  });

  it('when pushes arrive in the same turn, then they share one batch job and every caller resolves after it is written', async () => {
    const [queue] = queues(1);
    const sizes: number[] = [];
    const enqueuer = new Enqueuer([queue!], { maxBatch: 100, timeoutMs: 2_000, onBatch: (size) => sizes.push(size) });
    const pushes = Array.from({ length: 30 }, (_, index) => push(`session-${index}`));
    await Promise.all(pushes.map((data) => enqueuer.enqueue('fee', data)));
    const jobs = await queue!.getJobs(['waiting']);
    expect(jobs.map((job) => job.name)).toEqual(['batch']);
    expect(sizes).toEqual([30]);
    const queued = await queuedPushes(queue!);
    expect(queued.map((entry) => entry.data.deliveryId).sort()).toEqual(pushes.map((data) => data.deliveryId).sort());
    expect(queued.every((entry) => entry.name === 'fee')).toBe(true);
  });

  it('when more pushes arrive than one batch holds, then they are split into jobs of at most maxBatch pushes', async () => {
    const [queue] = queues(1);
    const enqueuer = new Enqueuer([queue!], { maxBatch: 8, timeoutMs: 2_000 });
    await Promise.all(Array.from({ length: 20 }, (_, index) => enqueuer.enqueue('status', push(`s-${index}`))));
    const queued = await queuedPushes(queue!);
    expect(queued).toHaveLength(20);
    const perJob = Map.groupBy(queued, (entry) => entry.id);
    expect(Math.max(...[...perJob.values()].map((group) => group.length))).toBeLessThanOrEqual(8);
  });

  it('when there are several shards, then each push lands in the shard of its session id and unrouted pushes in shard 0', async () => {
    const shards = queues(3);
    const enqueuer = new Enqueuer(shards, { maxBatch: 500, timeoutMs: 2_000 });
    const pushes = [...Array.from({ length: 60 }, (_, index) => push(`call-${index % 20}`)), push(undefined)];
    await Promise.all(pushes.map((data) => enqueuer.enqueue('status', data)));
    for (const [index, queue] of shards.entries()) {
      const queued = await queuedPushes(queue);
      const expected = pushes.filter((data) => shardOf(data.routingKey, 3) === index);
      expect(queued.map((entry) => entry.data.deliveryId).sort()).toEqual(expected.map((data) => data.deliveryId).sort());
    }
    expect(new Set(shards.map((queue) => queue.opts.prefix)).size).toBe(3);
  });

  it('when spooled pushes are sent each, then each is a job of its own keyed by delivery id in its shard, and sending again adds nothing', async () => {
    const shards = queues(2);
    const enqueuer = new Enqueuer(shards, { maxBatch: 100, timeoutMs: 2_000 });
    const pushes = Array.from({ length: 12 }, (_, index) => ({ name: 'fee' as const, data: push(`spooled-${index}`) }));
    await enqueuer.sendEach(pushes);
    await enqueuer.sendEach(pushes);
    for (const [index, queue] of shards.entries()) {
      const jobs = await queue.getJobs(['waiting']);
      const expected = pushes.filter((entry) => shardOf(entry.data.routingKey, 2) === index);
      expect(jobs.map((job) => [job.id, job.name]).sort()).toEqual(expected.map((entry) => [entry.data.deliveryId, 'fee']).sort());
    }
  });

  it('when Redis does not answer in time, then the caller is rejected with the timeout and nothing claims success', async () => {
    const dead = createRedisConnection('redis://127.0.0.1:1', 'producer');
    dead.on('error', () => undefined);
    const [queue] = createPushQueues(dead, uniqueQueuePrefix('enqueuer-dead'), 1);
    queue!.on('error', () => undefined);
    const enqueuer = new Enqueuer([queue!], { maxBatch: 10, timeoutMs: 200 });
    await expect(enqueuer.enqueue('status', push('s'))).rejects.toThrow();
    await queue!.close().catch(() => undefined);
    dead.disconnect();
  });
});
