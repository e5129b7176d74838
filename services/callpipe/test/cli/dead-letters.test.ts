import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushQueues, createRedisConnection, type PushQueue, type RedisClient } from '@callpipe/queue';
import { testContext, uniqueQueuePrefix, waitFor } from '@callpipe/testkit';
import { callpipe, connectionCounter, countedEnv, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
const prefix = uniqueQueuePrefix('cli-dead-letters');
const CALLER = '+8613800001234';
const BODY = JSON.stringify({ eventType: 'fee', feeLst: [{ sessionId: 's-1', callerNum: CALLER }] });
const IDS = ['cli-dead-letter', 'cli-dead-letter-2', 'cli-dead-letter-3'];
let redis: RedisClient;
let queue: PushQueue;
const env = () => ({ REDIS_URL: context.redisUrl, CALLPIPE_QUEUE_PREFIX: prefix });

beforeAll(async () => {
  redis = createRedisConnection(context.redisUrl, 'worker');
  queue = createPushQueues(redis, prefix, 1)[0]!;
  for (const id of IDS)
    await queue.add(
      'fee',
      {
        deliveryId: id,
        source: 'test',
        receivedAt: '2024-06-11T04:00:00.000Z',
        contentType: null,
        body: BODY,
        bodyEncoding: 'utf8',
        rejection: null,
      },
      { jobId: id, attempts: 1 },
    );
  const worker = new Worker(queue.name, () => Promise.reject(new UnrecoverableError(`refused the push of ${CALLER}`)), {
    connection: redis,
    prefix: queue.opts.prefix,
  });
  try {
    await waitFor(async () => (await queue.getFailedCount()) === IDS.length, { what: 'the jobs dead-lettered' });
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
  it.each([
    [['dead-letters'], 'callpipe dead-letters [options]'],
    [['dead-letters', 'list'], 'callpipe dead-letters list [options]'],
    [['dead-letters', 'show'], 'callpipe dead-letters show [options] <id>'],
    [['dead-letters', 'retry'], 'callpipe dead-letters retry [options]'],
    [['dead-letters', 'remove'], 'callpipe dead-letters remove [options]'],
  ])(
    'when %j is given --help or -h, then it prints its usage and exits 0 without reading the env or connecting',
    async (command, usage) => {
      const counter = await connectionCounter();
      try {
        for (const flag of ['--help', '-h']) {
          expectHelp(await callpipe([...command, flag], countedEnv(counter.port, '/nonexistent')), usage);
          expectHelp(await callpipe([...command, flag], refusedEnv), usage);
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
    expectUsageError(await callpipe(['dead-letters', 'bogus'], refusedEnv), "unknown command 'bogus'");
    expectUsageError(await callpipe(['dead-letters', 'list', '--bogus'], refusedEnv), "unknown option '--bogus'");
    expectUsageError(await callpipe(['dead-letters', 'retry', 'all'], refusedEnv), "too many arguments for 'retry'");
    expectUsageError(await callpipe(['dead-letters', 'show'], refusedEnv), "missing required argument 'id'");
    expectUsageError(await callpipe(['dead-letters', 'remove'], refusedEnv), "required option '--id <id>' not specified");
  });

  it('when retry is given neither or both of --id and --all, or a shard that does not exist, then it is a usage error', async () => {
    expectUsageError(await callpipe(['dead-letters', 'retry'], env()), 'give either --id ID (one dead letter) or --all (every one)');
    expectUsageError(await callpipe(['dead-letters', 'retry', '--all', '--id', 'x'], env()), 'give either --id ID');
    expectUsageError(await callpipe(['dead-letters', 'retry', '--all', '--shard', '0'], env()), '--shard goes with --id, not --all');
    expectUsageError(await callpipe(['dead-letters', 'show', 'x', '--shard', '3'], env()), '--shard 3: CALLPIPE_QUEUE_SHARDS is 1');
    expectUsageError(await callpipe(['dead-letters', 'show', 'x', '--shard', 'one'], env()), '--shard');
    expect(await queue.getFailedCount()).toBe(IDS.length);
  });

  it('when listing, then stdout holds one JSON line per dead letter and nothing else, and the count goes to stderr', async () => {
    const list = await callpipe(['dead-letters', 'list'], env());
    expect(list, list.stderr).toMatchObject({ code: 0, stderr: '3 dead letter(s)\n' });
    const lines = list.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toContainEqual({
      jobId: 'cli-dead-letter',
      shard: 0,
      kind: 'fee',
      deliveryId: 'cli-dead-letter',
      receivedAt: '2024-06-11T04:00:00.000Z',
      attempts: 1,
      reason: 'refused the push of +86138****1234',
    });
    expect(list.stdout).not.toContain('13800001234');
  });

  it('when showing one, then its reason and body are printed with numbers masked, or as queued with --unmasked', async () => {
    const shown = await callpipe(['dead-letters', 'show', 'cli-dead-letter'], env());
    expect(shown, shown.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^dead letter cli-dead-letter \(shard 0, .*\): fee job, 1 attempt\(s\)/);
    expect(shown.stdout).toContain('reason: refused the push of +86138****1234');
    expect(shown.stdout).toContain('body (utf8, numbers masked):');
    expect(shown.stdout).toContain('"callerNum":"+86138****1234"');
    expect(shown.stdout).not.toContain('13800001234');

    const json = await callpipe(['dead-letters', 'show', 'cli-dead-letter', '--json'], env());
    expect(JSON.parse(json.stdout)).toMatchObject({
      jobId: 'cli-dead-letter',
      shard: 0,
      masked: true,
      pushes: [{ name: 'fee', deliveryId: 'cli-dead-letter', body: BODY.replace('13800001234', '138****1234') }],
    });

    const unmasked = await callpipe(['dead-letters', 'show', 'cli-dead-letter', '--json', '--unmasked'], env());
    expect(JSON.parse(unmasked.stdout)).toMatchObject({ masked: false, reason: `refused the push of ${CALLER}`, pushes: [{ body: BODY }] });
  });

  it('when an id is not a dead letter, then show, retry and remove exit 1 naming it', async () => {
    for (const args of [
      ['show', 'nope'],
      ['retry', '--id', 'nope'],
      ['remove', '--id', 'nope'],
    ]) {
      expect(await callpipe(['dead-letters', ...args], env())).toEqual({
        code: 1,
        stdout: '',
        stderr: 'callpipe: no dead letter with id nope\n',
      });
    }
  });

  it('when --dry-run, then retry and remove say what they would do and change nothing', async () => {
    expect(await callpipe(['dead-letters', 'retry', '--all', '--dry-run'], env())).toEqual({
      code: 0,
      stdout: '3 dead letter(s) would be moved (dry run, nothing changed)\n',
      stderr: '',
    });
    expect((await callpipe(['dead-letters', 'retry', '--id', IDS[0]!, '--dry-run'], env())).stdout).toBe(
      'dead letter cli-dead-letter (shard 0, 1 push(es)) would be moved back to the queue (dry run, nothing changed)\n',
    );
    expect((await callpipe(['dead-letters', 'remove', '--id', IDS[0]!, '--dry-run'], env())).stdout).toContain('would be removed (dry run');
    expect(await queue.getFailedCount()).toBe(3);
    expect(await queue.getWaitingCount()).toBe(0);
  });

  it('when retrying one by --id, removing one, then retrying --all, then each job goes where it was told', async () => {
    expect(await callpipe(['dead-letters', 'retry', '--id', IDS[0]!], env())).toEqual({
      code: 0,
      stdout: 'dead letter cli-dead-letter (shard 0, 1 push(es)) moved back to the queue\n',
      stderr: '',
    });
    expect(await queue.getJobState(IDS[0]!)).toBe('waiting');
    expect(await callpipe(['dead-letters', 'retry', '--id', IDS[0]!], env())).toMatchObject({
      code: 1,
      stderr: 'callpipe: job cli-dead-letter is not a dead letter (it is waiting)\n',
    });

    expect((await callpipe(['dead-letters', 'remove', '--id', IDS[1]!], env())).stdout).toBe(
      'dead letter cli-dead-letter-2 (shard 0, 1 push(es)) removed\n',
    );
    expect(await queue.getJob(IDS[1]!)).toBeUndefined();

    expect(await callpipe(['dead-letters', 'retry', '--all'], env())).toEqual({
      code: 0,
      stdout: '1 dead letter(s) moved back to the queue\n',
      stderr: '',
    });
    expect(await queue.getFailedCount()).toBe(0);
    expect(await queue.getWaitingCount()).toBe(2);
  });
});
