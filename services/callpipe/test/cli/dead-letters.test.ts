import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushQueues, createRedisConnection, type PushQueue, type RedisClient } from '@callpipe/queue';
import { testContext, uniqueQueuePrefix, waitFor } from '@callpipe/testkit';
import { callpipe, connectionCounter, countedEnv, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
const prefix = uniqueQueuePrefix('cli-dead-letters');
let redis: RedisClient;
let queue: PushQueue;

beforeAll(async () => {
  redis = createRedisConnection(context.redisUrl, 'worker');
  queue = createPushQueues(redis, prefix, 1)[0]!;
  await queue.add(
    'fee',
    {
      deliveryId: 'cli-dead-letter',
      source: 'test',
      receivedAt: '2024-06-11T04:00:00.000Z',
      contentType: null,
      body: '{}',
      bodyEncoding: 'utf8',
      rejection: null,
    },
    { jobId: 'cli-dead-letter', attempts: 1 },
  );
  const worker = new Worker(queue.name, () => Promise.reject(new UnrecoverableError('refused the push of +8613800001234')), {
    connection: redis,
    prefix: queue.opts.prefix,
  });
  try {
    await waitFor(async () => (await queue.getFailedCount()) === 1, { what: 'the job dead-lettered' });
  } finally {
    await worker.close();
  }
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
});

describe('callpipe dead-letters', () => {
  it.each([[['dead-letters']], [['dead-letters', 'list']], [['dead-letters', 'retry']]])(
    'when %j is given --help or -h, then it prints its usage and exits 0 without reading the env or connecting',
    async (command) => {
      const counter = await connectionCounter();
      try {
        for (const flag of ['--help', '-h']) {
          expectHelp(
            await callpipe([...command, flag], countedEnv(counter.port, '/nonexistent')),
            `callpipe ${command.join(' ')} [options]`,
          );
          expectHelp(await callpipe([...command, flag], refusedEnv), `callpipe ${command.join(' ')} [options]`);
        }
        expect(counter.connections()).toBe(0);
      } finally {
        await counter.close();
      }
    },
  );

  it('when given no subcommand, then it prints its usage on stderr and exits 2; an unknown one or option is one line', async () => {
    const alone = await callpipe(['dead-letters'], refusedEnv);
    expect(alone).toMatchObject({ code: 2, stdout: '' });
    expect(alone.stderr).toMatch(/^Usage: callpipe dead-letters /);
    expectUsageError(await callpipe(['dead-letters', 'show'], refusedEnv), "unknown command 'show'");
    expectUsageError(await callpipe(['dead-letters', 'list', '--bogus'], refusedEnv), "unknown option '--bogus'");
    expectUsageError(await callpipe(['dead-letters', 'retry', 'all'], refusedEnv), "too many arguments for 'retry'");
  });

  it('when listing, then stdout holds one JSON line per dead letter and nothing else, and the count goes to stderr', async () => {
    const env = { REDIS_URL: context.redisUrl, CALLPIPE_QUEUE_PREFIX: prefix };
    const list = await callpipe(['dead-letters', 'list'], env);
    expect(list, list.stderr).toMatchObject({ code: 0, stderr: '1 dead letter(s)\n' });
    const lines = list.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        jobId: 'cli-dead-letter',
        kind: 'fee',
        deliveryId: 'cli-dead-letter',
        receivedAt: '2024-06-11T04:00:00.000Z',
        attempts: 1,
        reason: expect.stringMatching(/^refused the push of /) as unknown,
      },
    ]);
    expect(list.stdout).not.toContain('13800001234');

    const retry = await callpipe(['dead-letters', 'retry'], env);
    expect(retry).toEqual({ code: 0, stdout: '1 dead letter(s) moved back to the queue\n', stderr: '' });
    expect(await queue.getFailedCount()).toBe(0);
    expect(await queue.getWaitingCount()).toBe(1);
  });
});
