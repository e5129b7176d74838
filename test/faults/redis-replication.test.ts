import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTraffic, drive, tallyWhenSettled } from '@callpipe/simulator';
import { waitFor } from '@callpipe/testkit';
import { createPostgres, createRedis, type PostgresInstance, type RedisInstance } from '../support/instances.ts';
import { ingestMetric, type FaultSummary } from '../support/fault-load.ts';
import { printFaultSummary, startPipeline } from '../support/pipeline.ts';

// Redis replicates asynchronously: a master that crashes right after answering takes the pushes it
// had not yet sent to its replica with it, although they were acked. With
// INGEST_REDIS_WAIT_REPLICAS=1 the ingest acks from Redis only after WAIT confirmed a replica has
// the write, and spools the push otherwise. A private master and replica (AOF always) and real
// processes; the promise checked: every acked push is stored exactly once, even when the master
// is killed under load and its replica promoted.

const summary: FaultSummary = [];
let master: RedisInstance;
let replica: RedisInstance;
let postgres: PostgresInstance;

const redisCli = (instance: RedisInstance, ...args: string[]) =>
  execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(instance.port), ...args], { encoding: 'utf8' });
const replicaLinked = () => /master_link_status:up/.test(redisCli(replica, 'INFO', 'replication'));

beforeAll(async () => {
  [master, postgres] = await Promise.all([createRedis(), createPostgres()]);
  replica = await createRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  await waitFor(async () => replicaLinked(), { what: 'replica linked to its master' });
});

afterAll(async () => {
  await Promise.all([master?.stop(), replica?.stop(), postgres?.stop()]);
  printFaultSummary(summary, 'redis-replication fault summary');
});

async function ackCodes(adminPort: string): Promise<Record<string, number>> {
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const codes: Record<string, number> = {};
  for (const match of metrics.matchAll(/^callpipe_ingest_requests_total\{[^}]*outcome="accepted"[^}]*code="(\w+)"[^}]*\} (\d+)/gm)) {
    if (Number(match[2]) > 0) codes[match[1]!] = (codes[match[1]!] ?? 0) + Number(match[2]);
  }
  return codes;
}

/** Ingest and worker on the master, acking from Redis only once its replica has the write. */
const pipelineWaitingForOneReplica = (name: string) =>
  startPipeline({
    name,
    redisUrl: master.url,
    postgresServerUrl: postgres.serverUrl,
    env: { INGEST_REDIS_WAIT_REPLICAS: '1', INGEST_REDIS_WAIT_TIMEOUT_MS: '300' },
  });

describe('Redis replication', () => {
  it('with a replica required, pushes are acked from Redis while it has them, spooled while it is down, and drained when it is back', async () => {
    const p = await pipelineWaitingForOneReplica('replica-wait');
    try {
      const admin = p.env['INGEST_ADMIN_PORT']!;
      const first = await drive(p.baseUrl, buildTraffic(31, 8), { ratePerSecond: 100, concurrency: 4 });
      const firstAcked = first.filter((sent) => sent.outcome === 'acked').length;
      expect(firstAcked).toBe(first.length);
      expect(await ackCodes(admin)).toEqual({ ok: firstAcked });

      await replica.kill();
      const second = await drive(p.baseUrl, buildTraffic(32, 8), { ratePerSecond: 100, concurrency: 4 });
      const secondAcked = second.filter((sent) => sent.outcome === 'acked').length;
      expect(secondAcked).toBe(second.length);
      // In Redis, but on no replica: not good enough for an ack from Redis, so each went to disk first.
      expect(await ackCodes(admin)).toEqual({ ok: firstAcked, spooled: secondAcked });

      await replica.start();
      await waitFor(async () => replicaLinked(), { what: 'replica back' });
      const result = await tallyWhenSettled(p.db, [...first, ...second], 60_000);
      summary.push({ fault: 'replica-down', ...result });
      expect(result).toMatchObject({ settled: true, lost: 0, duplicated: 0 });
      // The pushes were written to the master before WAIT failed, so the worker may store them from
      // Redis before the spool's copies are drained (they are then no-ops): the spool empties after.
      await waitFor(async () => (await ingestMetric(p, 'callpipe_ingest_spool_bytes')) === 0, {
        what: 'spool drained once the replica is back',
      });
    } finally {
      await p.close();
    }
  });

  // Without the wait a crash loses acked pushes only sometimes (the last writes not yet replicated),
  // so this case is evidence under load; the case above is the one that fails without the wait.
  it('the master is killed under load and its replica promoted: every acked push is stored exactly once', async () => {
    const p = await pipelineWaitingForOneReplica('replica-crash');
    try {
      let acked = 0;
      const traffic = buildTraffic(33, 150);
      const driving = drive(p.baseUrl, traffic, {
        ratePerSecond: 150,
        concurrency: 16,
        onResult: (sent) => void (sent.outcome === 'acked' && (acked += 1)),
      });
      // Part-way through the load, as in every fault suite.
      await waitFor(() => acked >= traffic.length / 4, { timeoutMs: 30_000, what: 'a quarter of the load acked' });
      await master.kill();
      redisCli(replica, 'REPLICAOF', 'NO', 'ONE');
      // Operators (or Sentinel) repoint the services at the promoted replica; the ingest's spool,
      // which took the pushes meanwhile, drains into it.
      p.env['REDIS_URL'] = replica.url;
      p.env['INGEST_REDIS_WAIT_REPLICAS'] = '0';
      await Promise.all([p.ingest.stop('SIGTERM'), p.worker.stop('SIGKILL')]);
      await Promise.all([p.startIngest(), p.startWorker()]);
      const sent = await driving;
      const result = await tallyWhenSettled(p.db, sent, 90_000);
      summary.push({ fault: 'master-kill-promote', ...result });
      expect(result.acked).toBeGreaterThan(100);
      expect(result).toMatchObject({ settled: true, lost: 0, duplicated: 0 });
    } finally {
      await p.close();
    }
  });
});
