import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEnvSchema } from '@callpipe/ingest';
import { createRedisConnection, queuePrefix, writerConnection } from '@callpipe/queue';
import { workerEnvSchema } from '@callpipe/worker';
import { createPostgres, type PostgresInstance } from '../support/instances.ts';
import {
  expectExactlyOnce as expectDeliveredOnce,
  runUnderLoad,
  type FaultSummary,
  type LoadProgress,
  type LoadRun,
} from '../support/fault-load.ts';
import { printFaultSummary, startPipeline, type Pipeline } from '../support/pipeline.ts';
import { createRedisCluster, type RedisClusterInstance } from '../support/redis-cluster.ts';

// The pipeline on a real Redis Cluster (3 masters, 3 replicas, AOF fsync always): real `callpipe
// ingest` and `callpipe worker` processes with REDIS_URL=redis+cluster://…, under steady load from
// a generator that records every push that got 200. While the load runs, the master serving the
// queue's slot is failed over to its replica (CLUSTER FAILOVER): clients get MOVED and follow the
// slot. The promise checked: every acked push is stored exactly once, and the ingest keeps acking.

const summary: FaultSummary = [];
const notes: string[] = [];
let cluster: RedisClusterInstance;
let postgres: PostgresInstance;

beforeAll(async () => {
  [cluster, postgres] = await Promise.all([createRedisCluster({ masters: 3, replicasPerMaster: 1 }), createPostgres()]);
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), postgres?.stop()]);
  printFaultSummary(summary, 'redis-cluster fault summary');
  if (notes.length > 0) console.log(`${notes.join('\n')}\n`);
});

/** Drives load, runs `during` part-way, waits until every acked push is stored, and tallies. */
const underLoad = (p: Pipeline, fault: string, seed: number, during?: (progress: LoadProgress) => Promise<void>) =>
  runUnderLoad(p, {
    fault,
    seed,
    redisUrl: cluster.url,
    summary,
    settleTimeoutMs: 60_000,
    during: during && ((_p, progress) => during(progress)),
  });

const expectExactlyOnce = (run: LoadRun) => expectDeliveredOnce(run.result);

function expectKeptAcking(run: LoadRun): void {
  // Every push got its 200 (from Redis, or from the spool while Redis could not answer in time)…
  expect(run.result.acked).toBe(run.sent.length);
  // …and there was never a long stretch without one.
  expect(run.longestAckGapMs).toBeLessThan(3_000);
}

const shardsSupported = 'CALLPIPE_QUEUE_SHARDS' in ingestEnvSchema.shape && 'CALLPIPE_QUEUE_SHARDS' in workerEnvSchema.shape;

describe('Redis Cluster', () => {
  it("steady load through a Redis Cluster, each push acked once a replica of the queue's master has it: every acked push stored exactly once", async () => {
    const p = await startPipeline({
      name: 'cluster-steady',
      redisUrl: cluster.url,
      postgresServerUrl: postgres.serverUrl,
      env: { INGEST_REDIS_WAIT_REPLICAS: '1', INGEST_REDIS_WAIT_TIMEOUT_MS: '500' },
    });
    try {
      const run = await underLoad(p, 'cluster-steady', 21);
      expectExactlyOnce(run);
      expectKeptAcking(run);
      // WAIT goes to the master serving the queue's slot, and its replica confirmed: nothing had to be spooled.
      expect(run.spooled).toBe(0);
      const slotKey = queuePrefix(p.env['CALLPIPE_QUEUE_PREFIX']!);
      const connection = createRedisConnection(cluster.url, 'admin');
      try {
        await connection.ping();
        const writer = await writerConnection(connection, slotKey);
        expect(writer.options.port).toBe((await cluster.ownerOf(slotKey)).master.port);
      } finally {
        connection.disconnect();
      }
    } finally {
      await p.close();
    }
  });

  it('the master serving the queue is failed over to its replica twice under load: nothing lost or duplicated, the ingest keeps acking', async () => {
    const p = await startPipeline({ name: 'cluster-failover', redisUrl: cluster.url, postgresServerUrl: postgres.serverUrl });
    try {
      const slotKey = queuePrefix(p.env['CALLPIPE_QUEUE_PREFIX']!);
      const before = await cluster.ownerOf(slotKey);
      const failovers: Array<{ from: number; to: number; tookMs: number }> = [];
      const run = await underLoad(p, 'cluster-failover-x2', 22, async (progress) => {
        failovers.push(await cluster.failover(slotKey));
        // The second failover hits a pipeline that is acking again after the first.
        await progress.moreAcked(100);
        failovers.push(await cluster.failover(slotKey));
      });
      expect(failovers.map(({ from, to }) => [from, to])).toEqual([
        [before.master.port, before.replicas[0]!.port],
        [before.replicas[0]!.port, before.master.port],
      ]);
      notes.push(
        `cluster-failover-x2: slot ${before.slot}; failovers ${failovers.map(({ from, to, tookMs }) => `${from}→${to} in ${tookMs} ms`).join(', ')}; longest time without a 200: ${run.longestAckGapMs} ms; pushes that went through the ingest's spool: ${run.spooled}`,
      );
      expectExactlyOnce(run);
      expectKeptAcking(run);
    } finally {
      await p.close();
    }
  });

  it.runIf(shardsSupported)(
    'CALLPIPE_QUEUE_SHARDS=3: the shard queues live on three different masters, and one of them fails over under load',
    async () => {
      // Shard queues are `{<prefix>:0}`, `{<prefix>:1}`, …; three hash tags may well share a master,
      // so pick a prefix whose three tags land on three different masters.
      const shardTags = (base: string) => [0, 1, 2].map((index) => `{${base}:${index}}`);
      let base = '';
      for (let attempt = 0; attempt < 200 && base === ''; attempt += 1) {
        const candidate = `cluster-shards-${Date.now().toString(36)}-${attempt}`;
        const owners = await Promise.all(shardTags(candidate).map((tag) => cluster.ownerOf(tag)));
        if (new Set(owners.map((owner) => owner.master.port)).size === 3) base = candidate;
      }
      expect(base).not.toBe('');
      const p = await startPipeline({
        name: 'cluster-shards',
        redisUrl: cluster.url,
        postgresServerUrl: postgres.serverUrl,
        env: { CALLPIPE_QUEUE_PREFIX: base, CALLPIPE_QUEUE_SHARDS: '3' },
      });
      try {
        let failover = { from: 0, to: 0, tookMs: 0 };
        const run = await underLoad(p, 'cluster-3-shards', 23, async () => void (failover = await cluster.failover(shardTags(base)[0]!)));
        expectExactlyOnce(run);
        expectKeptAcking(run);
        // Each shard queue took part of the load, on a master of its own.
        const perShard = await Promise.all(
          shardTags(base).map(async (tag) => {
            const owner = await cluster.ownerOf(tag);
            const completed = Number((await cluster.cli(owner.master.port, 'zcard', `${tag}:pushes:completed`)).trim());
            return { tag, master: owner.master.port, completed };
          }),
        );
        notes.push(
          `cluster-3-shards: shard 0 failed over ${failover.from}→${failover.to} in ${failover.tookMs} ms; ${perShard.map(({ tag, master, completed }) => `${tag} on ${master}: ${completed} jobs completed`).join('; ')}`,
        );
        expect(new Set(perShard.map((shard) => shard.master)).size).toBe(3);
        for (const shard of perShard) expect(shard.completed).toBeGreaterThan(0);
      } finally {
        await p.close();
      }
    },
  );
});
