import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase } from '@callpipe/db';
import { demoAppKeys } from '@callpipe/fixtures';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { buildTraffic } from '@callpipe/simulator';
import { sql } from 'kysely';
import { startLatencyProxy } from './latency-proxy.ts';
import { load, type LoadResult } from './load.ts';
import { freePort, REPO_ROOT, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';

// The test harness imports vitest, which only works inside a test run; these three are all it needs.
function databaseUrlFor(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}
async function dropDatabase(server: string, name: string): Promise<void> {
  const admin = createDatabase({ connectionString: server, poolSize: 1 });
  await sql`DROP DATABASE IF EXISTS ${sql.raw(`"${name}"`)} WITH (FORCE)`.execute(admin);
  await admin.destroy();
}
const uniqueQueuePrefix = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`;

// `pnpm bench`: callpipe against the hardware ceiling (a bare node:http server) and against the
// naive design (write to Postgres before answering), all in one run on loopback, as ratios.
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO_ROOT, 'BENCHMARKS.md') },
    'e2e-pushes': { type: 'string' },
  },
});
const quick = args.quick;
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const serverUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ACK_SECONDS = quick ? 3 : 10;
const CONNECTIONS = 50;
const E2E_PUSHES = Number(args['e2e-pushes'] ?? (quick ? 5_000 : 200_000));
const FRESHNESS_RATE = 1_000;
const FRESHNESS_SECONDS = quick ? 3 : 10;
const SLOW_POSTGRES_MS = 20;

const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
};

function spawnServer(script: string, extraArgs: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--conditions=@callpipe/source', join(REPO_ROOT, 'test/bench', script), ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  const [ingestPort, ingestAdmin, workerAdmin] = [await freePort(), await freePort(), await freePort()];
  const databaseName = `callpipe_bench_${name}_${Date.now()}`;
  let databaseUrl = databaseUrlFor(serverUrl, databaseName);
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    CALLPIPE_QUEUE_PREFIX: uniqueQueuePrefix(`bench-${name}`),
    CALLPIPE_APP_BUSINESS: Object.entries(demoAppKeys).map(([business, key]) => `${key}=${business}`).join(','),
    LOG_LEVEL: 'warn',
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: String(ingestPort),
    INGEST_ADMIN_HOST: '127.0.0.1',
    INGEST_ADMIN_PORT: String(ingestAdmin),
    INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'callpipe-bench-spool-')),
    WORKER_ADMIN_HOST: '127.0.0.1',
    WORKER_ADMIN_PORT: String(workerAdmin),
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
  if (ingest) await waitForHttp(`http://127.0.0.1:${ingestAdmin}/readyz`);
  if (worker) await waitForHttp(`http://127.0.0.1:${workerAdmin}/healthz`);
  return {
    ingest,
    worker,
    env,
    url: `http://127.0.0.1:${ingestPort}/voicecall/events`,
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

async function committed(databaseName: string): Promise<number> {
  const db = createDatabase({ connectionString: databaseUrlFor(serverUrl, databaseName), poolSize: 1 });
  try {
    const result = await sql<{ n: string }>`SELECT count(*) AS n FROM push_deliveries`.execute(db);
    return Number(result.rows[0]!.n);
  } finally {
    await db.destroy();
  }
}

const format = (result: LoadResult) =>
  `${Math.round(result.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s  p50 ${result.p50Ms.toFixed(1).padStart(6)} ms  p99 ${result.p99Ms.toFixed(1).padStart(6)} ms  p99.9 ${result.p999Ms.toFixed(1).padStart(6)} ms  failed ${result.failed}`;

async function main(): Promise<void> {
  const traffic = buildTraffic(2026, Math.ceil(Math.max(E2E_PUSHES, 20_000) / 4), { maxCdrsPerPush: 5 });
  const bodies = traffic.map((send) => JSON.stringify(send.push));
  const meanBytes = Math.round(bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / bodies.length);
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
  log(`${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, Redis ${redisVersion}, PostgreSQL ${pgVersion}`);
  log(`Loopback; load generator: autocannon, ${CONNECTIONS} connections, in this process; bodies: ${bodies.length} realistic VoiceCall pushes (status and CDR, up to 5 CDRs per push), mean ${meanBytes} B.`);
  log('Everything (generator, servers, Redis, Postgres) shares the same cores.');
  log('');
  log('```');

  // 1. Ack throughput: the ceiling, callpipe's ingest, and the naive peer.
  const bare = await spawnServer('bare-server.ts', ['0']);
  const bareResult = await load(`http://127.0.0.1:${bare.port}/`, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
  await stopChild(bare.child);
  log(`ack  bare node:http (ceiling)      ${format(bareResult)}`);

  // No worker runs here, so every acked push stays queued: Redis memory per push is measured on the way.
  const ackPipeline = await pipeline('ack', { ingest: true, worker: false });
  const redisBefore = Number(/used_memory:(\d+)/.exec(await redisInfo('memory'))?.[1]);
  const ingestResult = await load(ackPipeline.url, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
  const ingestRss = rssMegabytes(ackPipeline.ingest?.child.pid);
  const redisAfter = Number(/used_memory:(\d+)/.exec(await redisInfo('memory'))?.[1]);
  const queuedBytesPerPush = ingestResult.ok > 0 ? Math.round((redisAfter - redisBefore) / ingestResult.ok) : 0;
  log(`ack  callpipe ingest               ${format(ingestResult)}`);
  await ackPipeline.stop();

  const naiveDb = `callpipe_bench_naive_${Date.now()}`;
  await (async () => {
    const admin = createDatabase({ connectionString: serverUrl, poolSize: 1 });
    await sql`CREATE DATABASE ${sql.raw(naiveDb)}`.execute(admin);
    await admin.destroy();
  })();
  const naive = await spawnServer('naive-peer.ts', ['0', databaseUrlFor(serverUrl, naiveDb)]);
  const naiveResult = await load(`http://127.0.0.1:${naive.port}/voicecall/events`, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
  await stopChild(naive.child);
  log(`ack  naive peer (Postgres first)   ${format(naiveResult)}`);

  // 2. Postgres slows down (+20 ms per packet each way): the naive peer's latency follows it, callpipe's ack must not.
  const pgPort = Number(new URL(serverUrl).port || 5432);
  const proxy = await startLatencyProxy({ host: '127.0.0.1', port: pgPort }, () => SLOW_POSTGRES_MS);
  const slowNaive = await spawnServer('naive-peer.ts', ['0', databaseUrlFor(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`, naiveDb)]);
  const slowNaiveResult = await load(`http://127.0.0.1:${slowNaive.port}/voicecall/events`, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
  await stopChild(slowNaive.child);
  log(`slow naive peer                    ${format(slowNaiveResult)}`);
  const slowPipeline = await pipeline('slow', { ingest: true, worker: true, databasePort: proxy.port });
  const slowIngestResult = await load(slowPipeline.url, bodies, { connections: CONNECTIONS, duration: ACK_SECONDS });
  log(`slow callpipe ingest (+worker)     ${format(slowIngestResult)}`);
  await slowPipeline.stop();
  await proxy.close();
  await dropDatabase(serverUrl, naiveDb);

  // 3. End to end: a fixed number of pushes from HTTP to committed rows.
  const e2e = await pipeline('e2e', { ingest: true, worker: true });
  const e2eStarted = Date.now();
  let peakIngestRss = 0;
  let peakWorkerRss = 0;
  const sampler = setInterval(() => {
    peakIngestRss = Math.max(peakIngestRss, rssMegabytes(e2e.ingest?.child.pid));
    peakWorkerRss = Math.max(peakWorkerRss, rssMegabytes(e2e.worker?.child.pid));
  }, 500);
  const e2eLoad = await load(e2e.url, bodies.slice(0, E2E_PUSHES), { connections: CONNECTIONS, amount: E2E_PUSHES });
  const ackedAt = Date.now();
  while ((await committed(e2e.databaseName)) < e2eLoad.ok && Date.now() - ackedAt < 600_000) await new Promise((resolve) => setTimeout(resolve, 500));
  const drainedAt = Date.now();
  clearInterval(sampler);
  const storedCount = await committed(e2e.databaseName);
  const e2eSeconds = (drainedAt - e2eStarted) / 1000;
  log(`e2e  ${E2E_PUSHES} pushes → rows        ${Math.round(storedCount / e2eSeconds).toLocaleString('en-US').padStart(8)} pushes/s sustained  (acked in ${((ackedAt - e2eStarted) / 1000).toFixed(1)} s at ${Math.round(e2eLoad.requestsPerSecond)}/s, all committed after ${e2eSeconds.toFixed(1)} s, stored ${storedCount}/${e2eLoad.ok})`);
  await e2e.stop();

  // 4. Freshness at a fixed rate well below saturation: received → committed.
  const fresh = await pipeline('fresh', { ingest: true, worker: true });
  await load(fresh.url, bodies, { connections: 10, duration: FRESHNESS_SECONDS, overallRate: FRESHNESS_RATE });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const freshDb = createDatabase({ connectionString: databaseUrlFor(serverUrl, fresh.databaseName), poolSize: 1 });
  const freshness = (
    await sql<{ p50: number; p99: number; n: string }>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM stored_at - received_at)) * 1000 AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM stored_at - received_at)) * 1000 AS p99,
             count(*) AS n
      FROM push_deliveries`.execute(freshDb)
  ).rows[0]!;
  await freshDb.destroy();
  log(`fresh ${FRESHNESS_RATE}/s for ${FRESHNESS_SECONDS} s: received → committed p50 ${Number(freshness.p50).toFixed(0)} ms, p99 ${Number(freshness.p99).toFixed(0)} ms (${freshness.n} pushes)`);
  await fresh.stop();

  log(`mem  ingest RSS ${ingestRss} MB after the ack run; under e2e load ingest ${peakIngestRss} MB, worker ${peakWorkerRss} MB; Redis ≈ ${queuedBytesPerPush} B per queued push`);
  log('```');
  log('');
  log('| ratio | value | target |');
  log('|---|---|---|');
  log(`| ingest ack rate / bare node:http | ${(ingestResult.requestsPerSecond / bareResult.requestsPerSecond).toFixed(2)} | ≥ 0.25 |`);
  log(`| ingest ack rate / naive peer | ${(ingestResult.requestsPerSecond / naiveResult.requestsPerSecond).toFixed(2)} | ≥ 3 |`);
  log(`| ingest p99 ack at ${CONNECTIONS} connections | ${ingestResult.p99Ms.toFixed(1)} ms | ≤ 10 ms |`);
  log(`| naive p99, slow / normal Postgres | ${(slowNaiveResult.p99Ms / Math.max(0.1, naiveResult.p99Ms)).toFixed(1)}× | (grows) |`);
  log(`| callpipe p99, slow / normal Postgres | ${(slowIngestResult.p99Ms / Math.max(0.1, ingestResult.p99Ms)).toFixed(1)}× | ≈ 1 |`);
  log(`| end-to-end sustained | ${Math.round(storedCount / e2eSeconds)} pushes/s | ≥ 5,000 |`);
  log(`| freshness p99 at ${FRESHNESS_RATE}/s | ${Number(freshness.p99).toFixed(0)} ms | < 1,000 ms |`);
  writeFileSync(args.out, `${lines.join('\n')}\n`);
  console.log(`\nwritten to ${args.out}`);
}

await main();
process.exit(0);
