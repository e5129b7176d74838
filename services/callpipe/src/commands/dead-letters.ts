import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { maskPhoneNumbersIn } from '@callpipe/runtime';

/** Failed jobs are the dead letters: listed with their reason, retried on demand. */
export async function runDeadLetters(action: string | undefined, config: { REDIS_URL: string; CALLPIPE_QUEUE_PREFIX: string }, out: (line: string) => void): Promise<number> {
  if (action !== 'list' && action !== 'retry') {
    out('usage: callpipe dead-letters list|retry');
    return 2;
  }
  const redis = createRedisConnection(config.REDIS_URL, 'worker', { connectionName: 'callpipe-cli' });
  const queue = createPushQueue(redis, queuePrefix(config.CALLPIPE_QUEUE_PREFIX));
  try {
    const failed = await queue.getFailed(0, -1);
    if (action === 'list') {
      for (const job of failed) {
        out(JSON.stringify({ jobId: job.id, kind: job.name, deliveryId: job.data.deliveryId, receivedAt: job.data.receivedAt, attempts: job.attemptsMade, reason: maskPhoneNumbersIn(job.failedReason ?? '') }));
      }
      out(`${failed.length} dead letter(s)`);
      return 0;
    }
    for (const job of failed) await job.retry('failed');
    out(`${failed.length} dead letter(s) moved back to the queue`);
    return 0;
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
