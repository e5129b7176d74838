import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCall, generateCalls } from '@callpipe/fixtures';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { waitFor } from '@callpipe/testkit';
import { createPostgres, createRedis, type PostgresInstance, type RedisInstance } from '../support/instances.ts';
import { expectExactlyOnce, holdFault, ingestMetric, runUnderLoad, type FaultSummary } from '../support/fault-load.ts';
import { printFaultSummary, startPipeline, type Pipeline } from '../support/pipeline.ts';
import { freePort, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';
import { buildTraffic, drive, tallyWhenSettled, type Tally } from '@callpipe/simulator';

// Each fault runs against real processes (`callpipe ingest`, `callpipe worker`), a private Redis
// (AOF, fsync always) and a private PostgreSQL, under steady load from a generator that records
// every push that got 200. The promise checked: every acked push is stored exactly once.

const summary: FaultSummary = [];
let redis: RedisInstance;
let postgres: PostgresInstance;

beforeAll(async () => {
  [redis, postgres] = await Promise.all([createRedis(), createPostgres()]);
});

afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
  printFaultSummary(summary);
});

function pipeline(name: string): Promise<Pipeline> {
  return startPipeline({ name, redisUrl: redis.url, postgresServerUrl: postgres.serverUrl });
}

/** Drives load on a pipeline of its own, injects the fault part-way, and tallies once settled. */
async function underFault(name: string, inject: (p: Pipeline) => Promise<void>, seed: number): Promise<Tally> {
  const p = await pipeline(name);
  try {
    return (await runUnderLoad(p, { fault: name, seed, redisUrl: redis.url, summary, during: inject })).result;
  } finally {
    await p.close();
  }
}

describe('faults', () => {
  it('baseline: no fault', async () => {
    expectExactlyOnce(await underFault('none', async () => undefined, 1));
  });

  it('Redis unavailable for 4 s: the ingest spools to disk, keeps answering 200, and drains when Redis returns', async () => {
    let spooledWhileDown = false;
    const result = await underFault(
      'redis-down-4s',
      async (p) => {
        await redis.kill();
        const downAt = Date.now();
        spooledWhileDown = await waitFor(async () => (await ingestMetric(p, 'callpipe_ingest_spool_bytes')) > 0, {
          timeoutMs: 4_000,
          what: 'the spool to hold pushes while Redis is down',
        }).catch(() => false);
        await holdFault(downAt, 4_000);
        await redis.start();
      },
      2,
    );
    expect(spooledWhileDown).toBe(true);
    expectExactlyOnce(result);
  });

  it('Redis killed and restarted with AOF mid-load: no acked job lost, workers reconnect by themselves', async () => {
    expectExactlyOnce(
      await underFault(
        'redis-kill-restart',
        async () => {
          await redis.kill();
          await redis.start();
        },
        3,
      ),
    );
  });

  it('Postgres unavailable for 5 s: jobs wait without becoming dead letters and resume on their own', async () => {
    let deadLetters = -1;
    const result = await underFault(
      'postgres-down-5s',
      async (p) => {
        const downAt = Date.now();
        await postgres.halt();
        await holdFault(downAt, 5_000);
        await postgres.start();
        const connection = createRedisConnection(redis.url, 'worker');
        const queue = createPushQueue(connection, queuePrefix(p.env['CALLPIPE_QUEUE_PREFIX']!));
        deadLetters = await queue.getFailedCount();
        await queue.close();
        await connection.quit();
      },
      4,
    );
    expect(deadLetters).toBe(0);
    expectExactlyOnce(result);
  });

  it('worker killed with SIGKILL mid-batch: stalled jobs are taken over and nothing is counted twice', async () => {
    expectExactlyOnce(
      await underFault(
        'worker-kill-9',
        async (p) => {
          const killedAt = Date.now();
          await p.worker.stop('SIGKILL');
          await holdFault(killedAt, 500);
          await p.startWorker();
        },
        5,
      ),
    );
  });

  it('ingest SIGTERM under load: it drains and exits 0, and a restarted ingest carries on', async () => {
    let exitCode: number | null = -1;
    const result = await underFault(
      'ingest-sigterm',
      async (p) => {
        exitCode = await p.ingest.stop('SIGTERM');
        await p.startIngest();
      },
      6,
    );
    expect(exitCode).toBe(0);
    expectExactlyOnce(result);
  });

  it('poison push: dead-lettered after bounded attempts without blocking others, then listed and retried by the CLI', async () => {
    const p = await pipeline('poison');
    try {
      const connection = createRedisConnection(redis.url, 'worker');
      const queue = createPushQueue(connection, queuePrefix(p.env['CALLPIPE_QUEUE_PREFIX']!));
      const [call] = generateCalls(77, 1);
      // Valid push, but a delivery id Postgres cannot store: it can never succeed.
      const body = JSON.stringify({ eventType: 'fee', feeLst: [call!.cdr] });
      await queue.add(
        'fee',
        {
          deliveryId: 'poison-not-a-uuid',
          source: 'test',
          receivedAt: new Date().toISOString(),
          contentType: null,
          body,
          bodyEncoding: 'utf8',
          rejection: null,
        },
        { jobId: 'poison-not-a-uuid' },
      );
      const traffic = buildTraffic(7, 40);
      const sent = await drive(p.baseUrl, traffic, { ratePerSecond: 200, concurrency: 8 });
      const result = await tallyWhenSettled(p.db, sent, 30_000);
      summary.push({ fault: 'poison-push', ...result });
      expectExactlyOnce(result);
      await waitFor(async () => (await queue.getFailedCount()) === 1, { what: 'poison job dead-lettered' });
      const list = runCallpipe(['dead-letters', 'list'], p.env);
      expect(await list.exited).toBe(0);
      expect(list.output()).toContain('poison-not-a-uuid');
      expect(list.output()).toContain('1 dead letter(s)');
      const retry = runCallpipe(['dead-letters', 'retry', '--all'], p.env);
      expect(await retry.exited).toBe(0);
      expect(retry.output()).toContain('1 dead letter(s) moved back to the queue');
      await waitFor(
        async () => (await queue.getFailedCount()) === 1 && (await queue.getJob('poison-not-a-uuid'))?.attemptsMade !== undefined,
        { what: 'retried poison job failing again' },
      );
      await queue.close();
      await connection.quit();
    } finally {
      await p.close();
    }
  });

  it('four worker processes on the same calls: counts stay exact and every call equals the pure derivation', async () => {
    const p = await pipeline('four-workers');
    const extra: CallpipeProcess[] = [];
    try {
      for (let i = 0; i < 3; i += 1) {
        const port = await freePort();
        const worker = runCallpipe(['worker'], { ...p.env, WORKER_ADMIN_PORT: String(port) });
        extra.push(worker);
        await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      }
      // Heavy redelivery so that several workers race on the same calls and CDRs at once.
      const traffic = buildTraffic(9, 120, { redeliveryProbability: 0.8, duplicateStatusProbability: 0.3, maxCdrsPerPush: 4 });
      const sent = await drive(p.baseUrl, traffic, { ratePerSecond: 400, concurrency: 16 });
      const result = await tallyWhenSettled(p.db, sent, 90_000);
      summary.push({ fault: 'four-workers', ...result });
      expectExactlyOnce(result);
      expect(result.acked).toBe(sent.length);
      const calls = generateCalls(9, 120, { lossProbability: 0.05, startAt: new Date(Date.UTC(2024, 5, 11, 2, 0, 0)) });
      for (const call of calls) {
        const { facts, summary } = expectedCall(call);
        const row = await p.db
          .selectFrom('calls')
          .select(['facts', 'outcome', 'state'])
          .where('session_id', '=', call.sessionId)
          .executeTakeFirstOrThrow();
        expect(row.facts).toEqual(facts);
        expect(row.outcome).toBe(summary.outcome);
      }
    } finally {
      await Promise.all(extra.map((worker) => worker.stop('SIGKILL')));
      await p.close();
    }
  });

  it('redeliveries: one CDR pushed 7 times (6 re-pushes and a manual re-send) and a duplicated status event count exactly', async () => {
    const p = await pipeline('redeliveries');
    try {
      const [call] = generateCalls(88, 1);
      const cdr = { eventType: 'fee' as const, feeLst: [call!.cdr] };
      const status = call!.statusPushes[0]!;
      const sends = [
        ...Array.from({ length: 7 }, () => ({ push: cdr, path: '/voicecall/fee' })),
        { push: status, path: '/voicecall/status' },
        { push: status, path: '/voicecall/status' },
      ];
      const sent = await drive(p.baseUrl, sends, { ratePerSecond: 50, concurrency: 3 });
      const result = await tallyWhenSettled(p.db, sent, 30_000);
      expect(result.expected).toBe(9);
      summary.push({ fault: 'redeliveries', ...result });
      expectExactlyOnce(result);
      const row = await p.db
        .selectFrom('cdrs')
        .select('delivery_count')
        .where('session_id', '=', call!.sessionId)
        .executeTakeFirstOrThrow();
      expect(row.delivery_count).toBe(7);
    } finally {
      await p.close();
    }
  });
});
