import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { createPushQueues, createRedisConnection, maskJobData, pushesOf, type PushQueue } from '@callpipe/queue';
import { maskPhoneNumbersIn } from '@callpipe/runtime';
import { checkOptions, usageError, type CliIo, type Outcome } from '../commands/context.ts';
import type { DeadLetterAction, DeadLetterFlags } from '../commands/dead-letters.ts';
import { parseQueueAdminEnv } from '../env.ts';

export interface DeadLetterConfig {
  REDIS_URL: string;
  CALLPIPE_QUEUE_PREFIX: string;
  CALLPIPE_QUEUE_SHARDS: number;
}

const optionsSchema = z.object({
  id: z.string().min(1, 'must not be empty').optional(),
  shard: z.coerce.number().int().min(0).optional(),
});

export interface DeadLetterOptions {
  id?: string;
  all: boolean;
  shard?: number;
  dryRun: boolean;
  unmasked: boolean;
  json: boolean;
}

export function deadLetters(
  action: DeadLetterAction,
  command: CommandUnknownOpts,
  flags: DeadLetterFlags,
  env: NodeJS.ProcessEnv,
  io: Pick<CliIo, 'out' | 'err'>,
): Promise<Outcome> {
  const checked = checkOptions(command, optionsSchema, { id: flags.id, shard: flags.shard });
  if (action === 'retry' && (checked.id === undefined) === (flags.all !== true))
    return usageError(command, 'give either --id ID (one dead letter) or --all (every one)');
  if (flags.all === true && checked.shard !== undefined) return usageError(command, '--shard goes with --id, not --all');
  const config = parseQueueAdminEnv(env);
  if (checked.shard !== undefined && checked.shard >= config.CALLPIPE_QUEUE_SHARDS)
    return usageError(
      command,
      `--shard ${checked.shard}: CALLPIPE_QUEUE_SHARDS is ${config.CALLPIPE_QUEUE_SHARDS} (shards 0–${config.CALLPIPE_QUEUE_SHARDS - 1})`,
    );
  const options: DeadLetterOptions = {
    ...checked,
    all: flags.all === true,
    dryRun: flags.dryRun === true,
    unmasked: flags.unmasked === true,
    json: flags.json === true,
  };
  return runDeadLetters(action, options, config, io, (message) => usageError(command, message));
}

/** Failed jobs are the dead letters: listed with their reason, shown, retried or removed on demand, over every queue shard. */
export async function runDeadLetters(
  action: DeadLetterAction,
  options: DeadLetterOptions,
  config: DeadLetterConfig,
  io: Pick<CliIo, 'out' | 'err'>,
  usage: (message: string) => never = (message) => {
    throw new Error(message);
  },
): Promise<number> {
  const redis = createRedisConnection(config.REDIS_URL, 'worker', { connectionName: 'callpipe-cli' });
  const queues = createPushQueues(redis, config.CALLPIPE_QUEUE_PREFIX, config.CALLPIPE_QUEUE_SHARDS);
  try {
    if (action === 'list') {
      const failed = await allDeadLetters(queues);
      for (const { job, shard } of failed) io.out(JSON.stringify(summary(job, shard)));
      // Standard output holds only the JSON lines, so `| jq` works; the count is for the person.
      io.err(`${failed.length} dead letter(s)\n`);
      return 0;
    }
    if (action === 'retry' && options.all) {
      const failed = await allDeadLetters(queues);
      if (!options.dryRun) for (const { job } of failed) await job.retry('failed');
      io.out(`${failed.length} dead letter(s) ${options.dryRun ? 'would be moved (dry run, nothing changed)' : 'moved back to the queue'}`);
      return 0;
    }
    const found = await findDeadLetter(queues, options.id!, options.shard, usage);
    if (!found.ok) {
      io.err(`callpipe: ${found.message}\n`);
      return 1;
    }
    const { job, shard } = found;
    if (action === 'show') {
      const shown = fullView(job, shard, !options.unmasked);
      if (options.json) io.out(JSON.stringify(shown));
      else for (const line of describe(shown)) io.out(line);
      return 0;
    }
    const what = `dead letter ${job.id} (shard ${shard}, ${pushesOf(job.name, job.data).length} push(es))`;
    if (options.dryRun) {
      io.out(`${what} would be ${action === 'retry' ? 'moved back to the queue' : 'removed'} (dry run, nothing changed)`);
      return 0;
    }
    if (action === 'retry') await job.retry('failed');
    else await job.remove();
    io.out(`${what} ${action === 'retry' ? 'moved back to the queue' : 'removed'}`);
    return 0;
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** A job of a push queue, as BullMQ returns it. */
type Job = Awaited<ReturnType<PushQueue['getFailed']>>[number];

interface DeadLetter {
  job: Job;
  shard: number;
}

async function allDeadLetters(queues: readonly PushQueue[]): Promise<DeadLetter[]> {
  return (await Promise.all(queues.map(async (queue, shard) => (await queue.getFailed(0, -1)).map((job) => ({ job, shard }))))).flat();
}

type Found = ({ ok: true } & DeadLetter) | { ok: false; message: string };

/** A job id is unique within a shard only: batch jobs are numbered by each queue. */
async function findDeadLetter(
  queues: readonly PushQueue[],
  id: string,
  shard: number | undefined,
  usage: (message: string) => never,
): Promise<Found> {
  const candidates = shard === undefined ? queues.map((queue, index) => ({ queue, index })) : [{ queue: queues[shard]!, index: shard }];
  const jobs = (
    await Promise.all(
      candidates.map(async ({ queue, index }) => {
        const job = await queue.getJob(id);
        return job ? [{ job, shard: index, state: await job.getState() }] : [];
      }),
    )
  ).flat();
  const failed = jobs.filter((job) => job.state === 'failed');
  if (failed.length > 1) usage(`job ${id} is a dead letter in shards ${failed.map((job) => job.shard).join(', ')}: add --shard`);
  if (failed.length === 1) return { ok: true, job: failed[0]!.job, shard: failed[0]!.shard };
  if (jobs.length > 0) return { ok: false, message: `job ${id} is not a dead letter (it is ${jobs.map((job) => job.state).join(', ')})` };
  return { ok: false, message: `no dead letter with id ${id}${shard === undefined ? '' : ` in shard ${shard}`}` };
}

function summary(job: Job, shard: number) {
  // A batch job only fails as a whole when it crashed its workers (stalls); list its pushes.
  const pushes = pushesOf(job.name, job.data);
  return {
    jobId: job.id,
    shard,
    kind: job.name,
    ...(pushes.length === 1
      ? { deliveryId: pushes[0]!.data.deliveryId, receivedAt: pushes[0]!.data.receivedAt }
      : { deliveryIds: pushes.map((push) => push.data.deliveryId) }),
    attempts: job.attemptsMade,
    reason: maskPhoneNumbersIn(job.failedReason ?? ''),
  };
}

function fullView(job: Job, shard: number, masked: boolean) {
  const mask = (text: string) => (masked ? maskPhoneNumbersIn(text) : text);
  const pushes = pushesOf(job.name, job.data);
  return {
    jobId: job.id,
    shard,
    queue: job.queueQualifiedName,
    kind: job.name,
    attempts: job.attemptsMade,
    queuedAt: new Date(job.timestamp).toISOString(),
    failedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
    reason: mask(job.failedReason ?? ''),
    stacktrace: (job.stacktrace ?? []).filter(Boolean).map(mask),
    masked,
    pushes: pushes.map((push) => ({ name: push.name, ...(masked ? (maskJobData(push.data) as typeof push.data) : push.data) })),
  };
}

function describe(shown: ReturnType<typeof fullView>): string[] {
  return [
    `dead letter ${shown.jobId} (shard ${shown.shard}, ${shown.queue}): ${shown.kind} job, ${shown.attempts} attempt(s), queued ${shown.queuedAt}, failed ${shown.failedAt ?? '-'}`,
    `reason: ${shown.reason}`,
    ...(shown.stacktrace.length > 0
      ? [
          'stack trace (last attempt):',
          ...shown.stacktrace
            .at(-1)!
            .split('\n')
            .map((line) => `  ${line}`),
        ]
      : []),
    ...shown.pushes.flatMap((push, index) => [
      '',
      `push ${index + 1} of ${shown.pushes.length}: ${push.name}, delivery ${push.deliveryId}, ${push.source}, received ${push.receivedAt}${push.rejection ? `, rejected ${push.rejection.code}` : ''}`,
      `body (${push.bodyEncoding}${shown.masked ? ', numbers masked' : ''}):`,
      push.body,
    ]),
  ];
}
