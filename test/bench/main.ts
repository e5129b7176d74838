import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, type Database } from '@callpipe/db';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { buildTraffic } from '@callpipe/simulator';
import { databaseUrlFor, dropDatabase, uniqueQueuePrefix, waitFor } from '@callpipe/testkit/support';
import { sql, type Kysely } from 'kysely';
import { cpuMeter, pidsNamed } from './cpu.ts';
import { HISTORY_SOURCE, preloadHistory } from './preload.ts';
import { machineSpeedLine, machineSpeedMs } from './machine-speed.ts';
import { replaySection } from './replay.ts';
import { resetStatementStats, topStatements, type StatementTime } from './statements.ts';
import { startLatencyProxy } from './latency-proxy.ts';
import { load, type LoadResult } from './load.ts';
import { createPostgres } from '../support/instances.ts';
import { freePort, REPO_ROOT, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';
import { localServiceEnv } from '../support/service-env.ts';

// `pnpm bench`: callpipe against the hardware ceiling (a bare node:http server) and against the
// naive design (write to Postgres before answering), all in one run on loopback, as ratios.
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO_ROOT, 'BENCHMARKS.md') },
    'e2e-pushes': { type: 'string' },
    // Comma-separated subset of: ack, slow, e2e, fresh, scale, volume, replay (default: all). For iterating on one figure.
    only: { type: 'string' },
    // Extra settings for every ingest and worker the benchmark starts, e.g. WORKER_CONCURRENCY=512,WORKER_BATCH_MAX=500.
    env: { type: 'string' },
    // Rows of history under the volume section's second drain (default 50M; 100k in quick mode).
    'volume-rows': { type: 'string' },
    // Run against DATABASE_URL's server instead of a private one started with infra/postgres/postgresql.conf.
    'shared-postgres': { type: 'boolean', default: false },
  },
});
const extraEnv = Object.fromEntries(
  (args.env ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [key, ...value] = pair.split('=');
      if (!key || value.length === 0) throw new Error(`--env takes KEY=VALUE pairs, got ${pair}`);
      return [key.trim(), value.join('=')];
    }),
);
const SECTIONS = ['ack', 'slow', 'e2e', 'fresh', 'scale', 'volume', 'replay'] as const;
type Section = (typeof SECTIONS)[number];
const selected = new Set<string>(args.only ? args.only.split(',').map((part) => part.trim()) : SECTIONS);
for (const section of selected)
  if (!(SECTIONS as readonly string[]).includes(section)) throw new Error(`unknown section ${section}; use ${SECTIONS.join(', ')}`);
const runs = (section: Section) => selected.has(section);
const quick = args.quick;
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const sharedServerUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The production configuration (infra/postgres/postgresql.conf); quick mode shrinks its memory for small CI machines. */
const PRIVATE_POSTGRES_SETTINGS: Record<string, string> = {
  fsync: 'on',
  ...(quick
    ? { shared_buffers: '256MB', effective_cache_size: '1GB', maintenance_work_mem: '256MB', min_wal_size: '80MB', max_wal_size: '1GB' }
    : {}),
};
let serverUrl = sharedServerUrl;
const ACK_SECONDS = quick ? 3 : 10;
const CONNECTIONS = 50;
const E2E_PUSHES = Number(args['e2e-pushes'] ?? (quick ? 5_000 : 200_000));
const FRESHNESS_RATE = 1_000;
const FRESHNESS_SECONDS = quick ? 3 : 10;
const SLOW_POSTGRES_MS = 20;
const SCALE_PUSHES = quick ? 3_000 : 40_000;
const SCALE_WORKERS = [1, 2, 4];
const VOLUME_ROWS = Number(args['volume-rows'] ?? (quick ? 100_000 : 50_000_000));
/** Days the volume section's history spans: the retention billing needs, each with its daily partitions. */
const VOLUME_DAYS = quick ? 30 : 400;

const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
};

function spawnServer(script: string, extraArgs: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--conditions=@callpipe/source', join(REPO_ROOT, 'test/bench', script), ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout.on('data', (data: Buffer) => {
      const match = /listening (\d+)/.exec(data.toString());
      if (match) resolve({ child, port: Number(match[1]) });
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function rssMegabytes(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function redisInfo(section: string): Promise<string> {
  const redis = createRedisConnection(redisUrl, 'admin');
  try {
    return (await redis.call('INFO', section)) as string;
  } finally {
    redis.disconnect();
  }
}

interface Pipeline {
  ingest: CallpipeProcess | null;
  worker: CallpipeProcess | null;
  env: Record<string, string>;
  url: string;
  databaseName: string;
  stop(): Promise<void>;
}

async function pipeline(name: string, options: { ingest: boolean; worker: boolean; databasePort?: number }): Promise<Pipeline> {
  const databaseName = `callpipe_bench_${name}_${Date.now()}`;
  let databaseUrl = databaseUrlFor(serverUrl, databaseName);
  const { env: local, ports } = await localServiceEnv({
    redisUrl,
    databaseUrl,
    queuePrefix: uniqueQueuePrefix(`bench-${name}`),
    spoolDirPrefix: 'callpipe-bench-spool-',
  });
  const env: Record<string, string> = {
    ...local,
    ...extraEnv,
  };
  const migrate = runCallpipe(['migrate'], env);
  if ((await migrate.exited) !== 0) throw new Error(`migrate failed: ${migrate.output()}`);
  if (options.databasePort) {
    const url = new URL(databaseUrl);
    url.port = String(options.databasePort);
    databaseUrl = url.toString();
    env['DATABASE_URL'] = databaseUrl;
  }
  const ingest = options.ingest ? runCallpipe(['ingest'], env) : null;
  const worker = options.worker ? runCallpipe(['worker'], env) : null;
  if (ingest) await waitForHttp(`http://127.0.0.1:${ports.ingestAdmin}/readyz`);
  if (worker) await waitForHttp(`http://127.0.0.1:${ports.workerAdmin}/healthz`);
  return {
    ingest,
    worker,
    env,
    url: `http://127.0.0.1:${ports.ingest}/voicecall/events`,
    databaseName,
    async stop() {
      await Promise.all([ingest?.stop('SIGTERM'), worker?.stop('SIGTERM')]);
      const redis = createRedisConnection(redisUrl, 'worker');
      const queue = createPushQueue(redis, queuePrefix(env['CALLPIPE_QUEUE_PREFIX']!));
      await queue.obliterate({ force: true });
      await queue.close();
      await redis.quit();
      await dropDatabase(serverUrl, databaseName);
    },
  };
}

async function committed(db: Kysely<Database>): Promise<number> {
  const result = await sql<{ n: string }>`SELECT count(*) AS n FROM push_deliveries`.execute(db);
  return Number(result.rows[0]!.n);
}

const format = (result: LoadResult) =>
  `${Math.round(result.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s  p50 ${result.p50Ms.toFixed(1).padStart(6)} ms  p99 ${result.p99Ms.toFixed(1).padStart(6)} ms  p99.9 ${result.p999Ms.toFixed(1).padStart(6)} ms  failed ${result.failed}`;

interface ScalingRow {
  workers: number;
  pushes: number;
  ratePerSecond: number;
  cpuSeconds: Record<string, number>;
  wallSeconds: number;
  /** The drain's costliest statements; null when the server does not load pg_stat_statements. */
  statements: StatementTime[] | null;
}

/** CPU seconds of all the process groups measured. */
const totalSeconds = (cpu: Record<string, number>) => Object.values(cpu).reduce((sum, seconds) => sum + seconds, 0);

/** CPU of every process group of a drain (worker, Postgres, Redis), per push stored. */
const cpuPerPush = (row: ScalingRow) => Math.round((totalSeconds(row.cpuSeconds) / Math.max(1, row.pushes)) * 1e6);

/** `statements` (a run's costliest, `topStatements`) as execution µs per push of `pushes`. */
function logStatements(statements: StatementTime[] | null, pushes: number): void {
  if (statements === null) {
    log('     (the server does not load pg_stat_statements: no per-statement times)');
    return;
  }
  log('     Postgres execution µs per push, top statements (pg_stat_statements; calls in brackets):');
  for (const { statement, calls, totalMs } of statements)
    log(`${String(Math.round((totalMs * 1000) / Math.max(1, pushes))).padStart(10)}  [${calls}] ${statement}`);
}

/**
 * Drain rate: the queue is filled while no worker runs (the ingest is stopped before the drain),
 * then k worker processes drain it. The rate is pushes over the span between the first and last
 * commit; CPU per process group shows where the time goes. With `preloadRows`, the database first
 * gets that much history over VOLUME_DAYS days (the volume section's comparison).
 */
async function drainRate(bodies: readonly string[], workers: number, preloadRows = 0): Promise<ScalingRow> {
  const p = await pipeline(`drain${workers}_${preloadRows}`, { ingest: true, worker: false });
  const db = createDatabase({ connectionString: databaseUrlFor(serverUrl, p.databaseName), poolSize: 1 });
  if (preloadRows > 0) {
    const preload = await preloadHistory(db, preloadRows, VOLUME_DAYS);
    log(
      `      preloaded ${preloadRows.toLocaleString('en-US')} rows of history (${preload.calls.toLocaleString('en-US')} calls over ${VOLUME_DAYS} days, daily partitions for each) in ${preload.seconds.toFixed(0)} s`,
    );
  }
  const fillStartedAt = new Date().toISOString();
  const filled = await load(p.url, bodies.slice(0, SCALE_PUSHES), { connections: CONNECTIONS, amount: SCALE_PUSHES });
  await p.ingest?.stop('SIGTERM');
  const running: CallpipeProcess[] = [];
  const meter = cpuMeter({
    workers: () => running.flatMap((worker) => (worker.child.pid ? [worker.child.pid] : [])),
    postgres: () => pidsNamed('postgres'),
    redis: () => pidsNamed('redis-server'),
  });
  // Polled four times a second during the drain: bounded to today's partition of the ledger, or it
  // would read all of the history's (a whole-table scan per poll, competing with what it measures).
  const stored = async () =>
    (
      await sql<{ n: string; seconds: number | null }>`
      SELECT count(*) AS n, extract(epoch FROM max(stored_at) - min(stored_at)) AS seconds FROM push_deliveries
      WHERE received_at >= ${fillStartedAt}::timestamptz AND source <> ${HISTORY_SOURCE}`.execute(db)
    ).rows[0]!;
  const countsStatements = await resetStatementStats(db);
  const started = Date.now();
  for (let index = 0; index < workers; index += 1)
    running.push(runCallpipe(['worker'], { ...p.env, WORKER_ADMIN_PORT: String(await freePort()) }));
  // Past the cap the figures are reported for what was stored, as before: a slow run is a result too.
  await waitFor(async () => Number((await stored()).n) >= filled.ok, { timeoutMs: 600_000, intervalMs: 250 }).catch(() => undefined);
  const wallSeconds = (Date.now() - started) / 1000;
  const cpuSeconds = meter.stop();
  const span = await stored();
  const statements = countsStatements ? await topStatements(db, 8) : null;
  await db.destroy();
  await Promise.all(running.map((worker) => worker.stop('SIGTERM')));
  await p.stop();
  return {
    workers,
    pushes: Number(span.n),
    ratePerSecond: Number(span.n) / Math.max(0.001, Number(span.seconds)),
    cpuSeconds,
    wallSeconds,
    statements,
  };
}

async function main(): Promise<void> {
  const privatePostgres = args['shared-postgres']
    ? null
    : await createPostgres({ configFile: join(REPO_ROOT, 'infra/postgres/postgresql.conf'), settings: PRIVATE_POSTGRES_SETTINGS });
  if (privatePostgres) serverUrl = privatePostgres.serverUrl;
  // An interrupted run leaves no server (and its data folder of up to tens of GB) behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void privatePostgres?.stop().finally(() => process.exit(130)));
  try {
    await sections();
  } finally {
    await privatePostgres?.stop();
  }
}

async function sections(): Promise<void> {
  const traffic = buildTraffic(2026, Math.ceil(Math.max(E2E_PUSHES, SCALE_PUSHES, 20_000) / 4), { maxCdrsPerPush: 5 });
  const bodies = traffic.map((send) => JSON.stringify(send.push));
  const meanBytes = Math.round(bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / bodies.length);
  // Single-CDR pushes of about 1.1 KB (click-to-call CDRs with their recording fields).
  const singleCdrBodies = buildTraffic(2027, 4_000, { maxCdrsPerPush: 1 })
    .map((send) => JSON.stringify(send.push))
    .filter((body) => body.startsWith('{"eventType":"fee"') && Buffer.byteLength(body) >= 1_000);
  const singleCdrMeanBytes = Math.round(singleCdrBodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / singleCdrBodies.length);
  const pgVersion = await (async () => {
    const db = createDatabase({ connectionString: serverUrl, poolSize: 1 });
    try {
      return (await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(db)).rows[0]!.v;
    } finally {
      await db.destroy();
    }
  })();
  const redisVersion = /redis_version:(\S+)/.exec(await redisInfo('server'))?.[1] ?? '?';
  log(`# callpipe benchmark${quick ? ' (quick mode: smoke test, numbers not meaningful)' : ''}`);
  log('');
  log(
    `${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, Redis ${redisVersion}, PostgreSQL ${pgVersion}`,
  );
  log(
    `Loopback; load generator: autocannon, ${CONNECTIONS} connections, in this process; bodies: ${bodies.length} realistic VoiceCall pushes (status and CDR, up to 5 CDRs per push), mean ${meanBytes} B.`,
  );
  log('Everything (generator, servers, Redis, Postgres) shares the same cores.');
  log(
    args['shared-postgres']
      ? `Postgres: the server of DATABASE_URL, as configured there.`
      : `Postgres: a private server started with infra/postgres/postgresql.conf${quick ? ' (memory settings shrunk for quick mode)' : ''}, fsync on.`,
  );
  log('');
  log('```');
  const ratios: string[] = [];

  let ingestResult: LoadResult | null = null;
  let queuedBytesPerPush = 0;
  let ingestRss = 0;
  if (runs('ack') || runs('slow')) {
    // 1. Ack throughput: the ceiling, callpipe's ingest, and the naive peer.
    const bare = await spawnServer('bare-server.ts', ['0']);
    const bareResult = await load(`http://127.0.0.1:${bare.port}/`, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
    await stopChild(bare.child);
    log(`ack  bare node:http (ceiling)      ${format(bareResult)}`);

    // No worker runs here, so every acked push stays queued: Redis memory per push is measured on the way.
    const ackPipeline = await pipeline('ack', { ingest: true, worker: false });
    const redisBefore = Number(/used_memory:(\d+)/.exec(await redisInfo('memory'))?.[1]);
    ingestResult = await load(ackPipeline.url, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
    ingestRss = rssMegabytes(ackPipeline.ingest?.child.pid);
    const redisAfter = Number(/used_memory:(\d+)/.exec(await redisInfo('memory'))?.[1]);
    queuedBytesPerPush = ingestResult.ok > 0 ? Math.round((redisAfter - redisBefore) / ingestResult.ok) : 0;
    log(`ack  callpipe ingest               ${format(ingestResult)}`);
    await ackPipeline.stop();

    const naiveDb = `callpipe_bench_naive_${Date.now()}`;
    await (async () => {
      const admin = createDatabase({ connectionString: serverUrl, poolSize: 1 });
      await sql`CREATE DATABASE ${sql.raw(naiveDb)}`.execute(admin);
      await admin.destroy();
    })();
    const naive = await spawnServer('naive-peer.ts', ['0', databaseUrlFor(serverUrl, naiveDb)]);
    const naiveResult = await load(`http://127.0.0.1:${naive.port}/voicecall/events`, bodies, {
      connections: CONNECTIONS,
      duration: ACK_SECONDS,
    });
    await stopChild(naive.child);
    log(`ack  naive peer (Postgres first)   ${format(naiveResult)}`);
    ratios.push(
      `| ingest ack rate / bare node:http | ${(ingestResult.requestsPerSecond / bareResult.requestsPerSecond).toFixed(2)} | ≥ 0.25 |`,
    );
    ratios.push(`| ingest ack rate / naive peer | ${(ingestResult.requestsPerSecond / naiveResult.requestsPerSecond).toFixed(2)} | ≥ 3 |`);
    ratios.push(`| ingest p99 ack at ${CONNECTIONS} connections | ${ingestResult.p99Ms.toFixed(1)} ms | ≤ 10 ms |`);

    // 1b. The platform's commonest large push: one CDR of about 1.1 KB. Same ceiling, same ingest.
    const single = await spawnServer('bare-server.ts', ['0']);
    const singleBare = await load(`http://127.0.0.1:${single.port}/`, singleCdrBodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
    await stopChild(single.child);
    log(`ack1 bare node:http, 1 CDR ${singleCdrMeanBytes} B ${format(singleBare)}`);
    const singlePipeline = await pipeline('ack1', { ingest: true, worker: false });
    const singleIngest = await load(singlePipeline.url, singleCdrBodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
    log(`ack1 callpipe ingest, 1 CDR      ${format(singleIngest)}`);
    await singlePipeline.stop();
    ratios.push(
      `| ingest ack rate / bare node:http, single-CDR pushes | ${(singleIngest.requestsPerSecond / singleBare.requestsPerSecond).toFixed(2)} | ≥ 0.30 |`,
    );
    ratios.push(`| ingest p99 ack, single-CDR pushes at ${CONNECTIONS} connections | ${singleIngest.p99Ms.toFixed(1)} ms | ≤ 10 ms |`);

    if (runs('slow')) {
      // 2. Postgres slows down (+20 ms per packet each way): the naive peer's latency follows it, callpipe's ack must not.
      const pgPort = Number(new URL(serverUrl).port || 5432);
      const proxy = await startLatencyProxy({ host: '127.0.0.1', port: pgPort }, () => SLOW_POSTGRES_MS);
      const slowNaive = await spawnServer('naive-peer.ts', [
        '0',
        databaseUrlFor(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`, naiveDb),
      ]);
      const slowNaiveResult = await load(`http://127.0.0.1:${slowNaive.port}/voicecall/events`, bodies, {
        connections: CONNECTIONS,
        duration: ACK_SECONDS,
      });
      await stopChild(slowNaive.child);
      log(`slow naive peer                    ${format(slowNaiveResult)}`);
      const slowPipeline = await pipeline('slow', { ingest: true, worker: true, databasePort: proxy.port });
      const slowIngestResult = await load(slowPipeline.url, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
      log(`slow callpipe ingest (+worker)     ${format(slowIngestResult)}`);
      await slowPipeline.stop();
      await proxy.close();
      ratios.push(
        `| naive p99, slow / normal Postgres | ${(slowNaiveResult.p99Ms / Math.max(0.1, naiveResult.p99Ms)).toFixed(1)}× | (grows) |`,
      );
      ratios.push(
        `| callpipe p99, slow / normal Postgres | ${(slowIngestResult.p99Ms / Math.max(0.1, ingestResult.p99Ms)).toFixed(1)}× | ≈ 1 |`,
      );
    }
    await dropDatabase(serverUrl, naiveDb);
  }

  let peakIngestRss = 0;
  let peakWorkerRss = 0;
  if (runs('e2e')) {
    // 3. End to end: a fixed number of pushes from HTTP to committed rows.
    const speedBefore = machineSpeedMs(bodies);
    const e2e = await pipeline('e2e', { ingest: true, worker: true });
    const e2eDb = createDatabase({ connectionString: databaseUrlFor(serverUrl, e2e.databaseName), poolSize: 1 });
    const countsStatements = await resetStatementStats(e2eDb);
    const e2eStarted = Date.now();
    const sampler = setInterval(() => {
      peakIngestRss = Math.max(peakIngestRss, rssMegabytes(e2e.ingest?.child.pid));
      peakWorkerRss = Math.max(peakWorkerRss, rssMegabytes(e2e.worker?.child.pid));
    }, 500);
    const meter = cpuMeter({
      'load generator': () => [process.pid],
      ingest: () => (e2e.ingest?.child.pid ? [e2e.ingest.child.pid] : []),
      worker: () => (e2e.worker?.child.pid ? [e2e.worker.child.pid] : []),
      postgres: () => pidsNamed('postgres'),
      redis: () => pidsNamed('redis-server'),
    });
    const e2eLoad = await load(e2e.url, bodies.slice(0, E2E_PUSHES), { connections: CONNECTIONS, amount: E2E_PUSHES });
    const ackedAt = Date.now();
    await waitFor(async () => (await committed(e2eDb)) >= e2eLoad.ok, { timeoutMs: 600_000, intervalMs: 500 }).catch(() => undefined);
    const drainedAt = Date.now();
    clearInterval(sampler);
    const cpu = meter.stop();
    const storedCount = await committed(e2eDb);
    const statements = countsStatements ? await topStatements(e2eDb, 8) : null;
    await e2eDb.destroy();
    const e2eSeconds = (drainedAt - e2eStarted) / 1000;
    log(
      `e2e  ${E2E_PUSHES} pushes → rows        ${Math.round(storedCount / e2eSeconds)
        .toLocaleString('en-US')
        .padStart(
          8,
        )} pushes/s sustained  (acked in ${((ackedAt - e2eStarted) / 1000).toFixed(1)} s at ${Math.round(e2eLoad.requestsPerSecond)}/s, all committed after ${e2eSeconds.toFixed(1)} s, stored ${storedCount}/${e2eLoad.ok})`,
    );
    const perPush = Object.entries(cpu).map(([group, seconds]) => `${group} ${Math.round((seconds / Math.max(1, storedCount)) * 1e6)}`);
    const totalCpu = totalSeconds(cpu);
    log(
      `     CPU µs per push: ${perPush.join(', ')}; total ${Math.round((totalCpu / Math.max(1, storedCount)) * 1e6)} µs → at most ${Math.round(cpus().length / (totalCpu / Math.max(1, storedCount))).toLocaleString('en-US')} pushes/s on ${cpus().length} cores`,
    );
    logStatements(statements, storedCount);
    await e2e.stop();
    log(machineSpeedLine(speedBefore, machineSpeedMs(bodies)));
    ratios.push(`| end-to-end sustained | ${Math.round(storedCount / e2eSeconds)} pushes/s | ≥ 5,000 |`);
  }

  if (runs('fresh')) {
    // 4. Freshness at a fixed rate well below saturation: received → committed.
    const fresh = await pipeline('fresh', { ingest: true, worker: true });
    const freshLoad = await load(fresh.url, bodies, { connections: 10, duration: FRESHNESS_SECONDS, overallRate: FRESHNESS_RATE });
    const freshDb = createDatabase({ connectionString: databaseUrlFor(serverUrl, fresh.databaseName), poolSize: 1 });
    // The last pushes acked must be committed too, or the percentiles leave out the slowest.
    await waitFor(async () => (await committed(freshDb)) >= freshLoad.ok, { timeoutMs: 60_000, intervalMs: 100 }).catch(() => undefined);
    const freshness = (
      await sql<{ p50: number; p99: number; n: string }>`
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM stored_at - received_at)) * 1000 AS p50,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM stored_at - received_at)) * 1000 AS p99,
               count(*) AS n
        FROM push_deliveries`.execute(freshDb)
    ).rows[0]!;
    await freshDb.destroy();
    log(
      `fresh ${FRESHNESS_RATE}/s for ${FRESHNESS_SECONDS} s: received → committed p50 ${Number(freshness.p50).toFixed(0)} ms, p99 ${Number(freshness.p99).toFixed(0)} ms (${freshness.n} pushes)`,
    );
    await fresh.stop();
    ratios.push(`| freshness p99 at ${FRESHNESS_RATE}/s | ${Number(freshness.p99).toFixed(0)} ms | < 1,000 ms |`);
  }

  if (runs('ack') || runs('e2e')) {
    log(
      `mem  ingest RSS ${ingestRss} MB after the ack run; under e2e load ingest ${peakIngestRss} MB, worker ${peakWorkerRss} MB; Redis ≈ ${queuedBytesPerPush} B per queued push`,
    );
  }

  const scaling: ScalingRow[] = [];
  if (runs('scale')) {
    for (const workers of SCALE_WORKERS) {
      const row = await drainRate(bodies, workers);
      scaling.push(row);
      log(
        `scale ${workers} worker process(es): ${Math.round(row.ratePerSecond).toLocaleString('en-US').padStart(7)} pushes/s draining ${row.pushes} queued pushes`,
      );
    }
  }
  if (runs('volume')) {
    // 5. Scale of data: the same drain into empty tables and into tables already holding VOLUME_ROWS
    // rows. The preload takes many minutes, and a shared machine's speed drifts over that long: the
    // empty-table drain runs before and after it, and the ratio is to the mean of the two.
    const drainLine = (label: string, row: ScalingRow) =>
      `volume ${label.padEnd(26)}${Math.round(row.ratePerSecond).toLocaleString('en-US').padStart(7)} pushes/s draining ${row.pushes} queued pushes (1 worker, CPU ${cpuPerPush(row)} µs per push)`;
    const speedBefore = machineSpeedMs(bodies);
    const emptyBefore = await drainRate(bodies, 1);
    log(drainLine('empty tables, before:', emptyBefore));
    logStatements(emptyBefore.statements, emptyBefore.pushes);
    const full = await drainRate(bodies, 1, VOLUME_ROWS);
    log(drainLine(`${(VOLUME_ROWS / 1e6).toLocaleString('en-US')}M rows already stored:`, full));
    logStatements(full.statements, full.pushes);
    const emptyAfter = await drainRate(bodies, 1);
    log(drainLine('empty tables, after:', emptyAfter));
    log(machineSpeedLine(speedBefore, machineSpeedMs(bodies)));
    const emptyRate = (emptyBefore.ratePerSecond + emptyAfter.ratePerSecond) / 2;
    ratios.push(
      `| drain rate with ${(VOLUME_ROWS / 1e6).toLocaleString('en-US')}M rows / empty tables (mean of before and after) | ${(full.ratePerSecond / emptyRate).toFixed(2)} | ≥ 0.8 |`,
    );
  }
  if (runs('replay')) await replaySection({ quick, serverUrl, log, ratios });
  log('```');
  log('');
  if (ratios.length > 0) {
    log('| ratio | value | target |');
    log('|---|---|---|');
    for (const line of ratios) log(line);
    log('');
  }
  if (scaling.length > 0) {
    const base = scaling[0]!.ratePerSecond;
    log(
      `Worker scaling: ${SCALE_PUSHES} pushes queued with no worker running, then drained by k worker processes (default settings: up to 256 jobs in flight, transactions of up to 1,000 pushes, 2 in parallel, 4 connections each). CPU seconds per 1,000 pushes during the drain, by process group; the machine has ${cpus().length} cores.`,
    );
    log('');
    log('| worker processes | pushes/s | × 1 worker | worker CPU s/1k | postgres CPU s/1k | redis CPU s/1k | total CPU / wall |');
    log('|---|---|---|---|---|---|---|');
    for (const row of scaling) {
      const per1k = (group: string) => ((row.cpuSeconds[group] ?? 0) / (row.pushes / 1000)).toFixed(3);
      const total = totalSeconds(row.cpuSeconds);
      log(
        `| ${row.workers} | ${Math.round(row.ratePerSecond).toLocaleString('en-US')} | ${(row.ratePerSecond / base).toFixed(2)} | ${per1k('workers')} | ${per1k('postgres')} | ${per1k('redis')} | ${(total / row.wallSeconds).toFixed(2)} cores |`,
      );
    }
    log('');
  }
  writeFileSync(args.out, `${lines.join('\n')}\n`);
  console.log(`\nwritten to ${args.out}`);
}

await main();
process.exit(0);
