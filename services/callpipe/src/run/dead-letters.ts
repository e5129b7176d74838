import { createPushQueues, createRedisConnection, pushesOf } from '@callpipe/queue';
import { maskPhoneNumbersIn } from '@callpipe/runtime';
import type { CliIo, Outcome } from '../commands/context.ts';
import type { DeadLetterAction } from '../commands/dead-letters.ts';
import { parseQueueAdminEnv } from '../env.ts';

export interface DeadLetterConfig {
  REDIS_URL: string;
  CALLPIPE_QUEUE_PREFIX: string;
  CALLPIPE_QUEUE_SHARDS: number;
}

export const deadLetters = (action: DeadLetterAction, env: NodeJS.ProcessEnv, io: Pick<CliIo, 'out' | 'err'>): Promise<Outcome> =>
  runDeadLetters(action, parseQueueAdminEnv(env), io);

/** Failed jobs are the dead letters: listed with their reason, retried on demand, over every queue shard. */
export async function runDeadLetters(action: DeadLetterAction, config: DeadLetterConfig, io: Pick<CliIo, 'out' | 'err'>): Promise<number> {
  const redis = createRedisConnection(config.REDIS_URL, 'worker', { connectionName: 'callpipe-cli' });
  const queues = createPushQueues(redis, config.CALLPIPE_QUEUE_PREFIX, config.CALLPIPE_QUEUE_SHARDS);
  try {
    const failed = (await Promise.all(queues.map((queue) => queue.getFailed(0, -1)))).flat();
    if (action === 'list') {
      for (const job of failed) {
        // A batch job only fails as a whole when it crashed its workers (stalls); list its pushes.
        const pushes = pushesOf(job.name, job.data);
        io.out(
          JSON.stringify({
            jobId: job.id,
            kind: job.name,
            ...(pushes.length === 1
              ? { deliveryId: pushes[0]!.data.deliveryId, receivedAt: pushes[0]!.data.receivedAt }
              : { deliveryIds: pushes.map((push) => push.data.deliveryId) }),
            attempts: job.attemptsMade,
            reason: maskPhoneNumbersIn(job.failedReason ?? ''),
          }),
        );
      }
      // Standard output holds only the JSON lines, so `| jq` works; the count is for the person.
      io.err(`${failed.length} dead letter(s)\n`);
      return 0;
    }
    for (const job of failed) await job.retry('failed');
    io.out(`${failed.length} dead letter(s) moved back to the queue`);
    return 0;
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    await redis.quit().catch(() => redis.disconnect());
  }
}
