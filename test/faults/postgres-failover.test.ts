import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgbouncer, createPostgres, createRedis, createReplicatedPostgres } from '../support/instances.ts';
import type { PgbouncerInstance, PostgresInstance, RedisInstance, ReplicatedPostgres } from '../support/instances.ts';
import { expectExactlyOnce, holdFault, runUnderLoad, type FaultSummary } from '../support/fault-load.ts';
import { printFaultSummary, startPipeline } from '../support/pipeline.ts';

// How operators run Postgres: a primary with a streaming standby behind a multi-host DATABASE_URL
// (`target_session_attrs=read-write`), or pgbouncer in transaction mode in front. Real processes
// (`callpipe ingest`, `callpipe worker`) under steady load; the promise checked: every acked push is
// stored exactly once across the switch, and the same worker process carries on without a restart.

const summary: FaultSummary = [];
let redis: RedisInstance;

beforeAll(async () => {
  redis = await createRedis();
});

afterAll(async () => {
  await redis?.stop();
  printFaultSummary(summary, 'postgres failover fault summary');
});

describe('a primary and a streaming standby behind a multi-host DATABASE_URL', () => {
  let cluster: ReplicatedPostgres;
  beforeAll(async () => {
    cluster = await createReplicatedPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('the primary is stopped under load and the standby promoted: nothing acked is lost or doubled, and the worker finds the new primary', async () => {
    const p = await startPipeline({ name: 'pg-failover', redisUrl: redis.url, postgresServerUrl: cluster.serverUrl });
    try {
      const worker = p.worker;
      const { result } = await runUnderLoad(p, {
        fault: 'pg-primary-failover',
        seed: 41,
        redisUrl: redis.url,
        summary,
        during: async (_pipeline, progress) => {
          const downAt = Date.now();
          await cluster.primary.halt();
          await holdFault(downAt, 2_000);
          cluster.standby.promote();
          // Acks go on throughout (the ingest never waits for Postgres); the worker must store them on the new primary.
          await progress.moreAcked(20);
        },
      });
      expectExactlyOnce(result);
      expect(p.worker).toBe(worker);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await p.close();
    }
  });
});

describe('pgbouncer in transaction mode in front of Postgres', () => {
  let postgres: PostgresInstance;
  let pgbouncer: PgbouncerInstance;
  beforeAll(async () => {
    postgres = await createPostgres();
    pgbouncer = await createPgbouncer(postgres);
  });
  afterAll(async () => {
    await pgbouncer?.stop();
    await postgres?.stop();
  });

  it('pgbouncer killed and restarted under load: every acked push is stored exactly once and the worker reconnects by itself', async () => {
    const p = await startPipeline({ name: 'pgbouncer-restart', redisUrl: redis.url, postgresServerUrl: pgbouncer.serverUrl });
    try {
      const worker = p.worker;
      const { result } = await runUnderLoad(p, {
        fault: 'pgbouncer-restart',
        seed: 42,
        redisUrl: redis.url,
        summary,
        during: async () => {
          const downAt = Date.now();
          await pgbouncer.kill();
          await holdFault(downAt, 1_000);
          await pgbouncer.start();
        },
      });
      expectExactlyOnce(result);
      expect(p.worker).toBe(worker);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await p.close();
    }
  });
});
