import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabase } from '@callpipe/db';
import { databaseUrlFor, dropDatabase } from '@callpipe/testkit/support';
import { sql } from 'kysely';
import { cpuMeter, pidsNamed } from './cpu.ts';
import { preloadHistory } from './preload.ts';
import { CDR_CSV_COLUMNS } from './cdr-csv-columns.ts';
import { REPO_ROOT, runCallpipe } from '../support/process.ts';

const run = promisify(execFile);

export interface ReplayBenchOptions {
  quick: boolean;
  serverUrl: string;
  log: (line: string) => void;
  ratios: string[];
}

interface ReplayRun {
  records: number;
  recordsPerSecond: number;
  peakRssMiB: number;
  timings: { readSeconds: number; parseSeconds: number; storeSeconds: number; storeWaitSeconds: number };
  cpuMicrosPerRecord: { replay: number; postgres: number };
}

/**
 * `replay`: `callpipe replay` of a generated CSV of CDRs, against `psql \copy` of the same file
 * into an unindexed table (what Postgres can take at all on this machine), into freshly migrated
 * tables and into tables that already hold a year of daily partitions and history, as a child
 * process whose peak RSS is read from /proc. Full mode adds a larger file for the memory bound.
 */
export async function replaySection({ quick, serverUrl, log, ratios }: ReplayBenchOptions): Promise<void> {
  const records = quick ? 20_000 : 1_000_000;
  const historyDays = quick ? 60 : 400;
  const historyRows = quick ? 200_000 : 10_000_000;
  const directory = await mkdtemp(join(tmpdir(), 'callpipe-bench-replay-'));
  try {
    const file = join(directory, `cdrs-${records}.csv`);
    await writeCsv(file, records);
    const size = (await stat(file)).size;

    const copy = await copyBaseline(serverUrl, file, records);
    log(
      `replay psql \\copy ${records.toLocaleString('en-US')} CSV rows (${Math.round(size / 2 ** 20)} MiB) into an unindexed table: ${Math.round(copy).toLocaleString('en-US').padStart(8)} rows/s`,
    );
    const fresh = await replayInto(serverUrl, file, 'fresh', async () => undefined);
    log(`replay callpipe replay, fresh tables:         ${line(fresh)}`);
    log(`       ${where(fresh)}`);
    const history = await replayInto(serverUrl, file, 'history', async (databaseUrl) => {
      const db = createDatabase({ connectionString: databaseUrl, poolSize: 1 });
      try {
        const preload = await preloadHistory(db, historyRows, historyDays);
        // Earlier replays leave their ids in the ledger; a tenth of the history's deliveries were replays.
        await sql`
          INSERT INTO replayed_deliveries (delivery_id, received_at)
          SELECT gen_random_uuid(), now() - (g % ${historyDays}) * interval '1 day' FROM generate_series(1, ${Math.round(historyRows / 10)}::int) g`.execute(
          db,
        );
        await sql`VACUUM (ANALYZE) replayed_deliveries`.execute(db);
        const partitions = await sql<{ n: string }>`
          SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'push_deliveries'::regclass`.execute(db);
        log(
          `       preloaded ${historyRows.toLocaleString('en-US')} rows of history over ${historyDays} days (${partitions.rows[0]!.n} push_deliveries partitions) in ${preload.seconds.toFixed(0)} s`,
        );
      } finally {
        await db.destroy();
      }
    });
    log(`replay callpipe replay, ${historyDays} days of history: ${line(history)}`);
    log(`       ${where(history)}`);
    ratios.push(`| replay rate / psql \\copy of the same CSV | ${(fresh.recordsPerSecond / copy).toFixed(3)} | ≥ 0.1 |`);
    ratios.push(`| replay rate | ${Math.round(fresh.recordsPerSecond).toLocaleString('en-US')} CDRs/s | ≥ 20,000 |`);
    ratios.push(
      `| replay rate with ${historyDays} daily partitions and ${(historyRows / 1e6).toLocaleString('en-US')}M rows / fresh tables | ${(history.recordsPerSecond / fresh.recordsPerSecond).toFixed(2)} | ≥ 0.8 |`,
    );
    let peak = Math.max(fresh.peakRssMiB, history.peakRssMiB);
    let peakOf = `${records.toLocaleString('en-US')} records`;
    if (!quick) {
      const large = join(directory, 'cdrs-2000000.csv');
      await rm(file);
      await writeCsv(large, 2_000_000);
      const big = await replayInto(serverUrl, large, 'large', async () => undefined);
      log(`replay callpipe replay, 2,000,000 records:    ${line(big)}`);
      peak = Math.max(peak, big.peakRssMiB);
      peakOf = '2,000,000 records';
    }
    ratios.push(`| replay peak RSS (${peakOf}) | ${peak} MiB | ≤ 256 MiB |`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

const line = (r: ReplayRun) =>
  `${Math.round(r.recordsPerSecond).toLocaleString('en-US').padStart(8)} CDRs/s  peak RSS ${r.peakRssMiB} MiB  (${r.records.toLocaleString('en-US')} records)`;

const where = (r: ReplayRun) =>
  `time: read ${r.timings.readSeconds.toFixed(1)} s, parse ${r.timings.parseSeconds.toFixed(1)} s, store ${r.timings.storeSeconds.toFixed(1)} s (reading waited ${r.timings.storeWaitSeconds.toFixed(1)} s); CPU µs per CDR: replay ${r.cpuMicrosPerRecord.replay}, postgres ${r.cpuMicrosPerRecord.postgres}`;

async function writeCsv(path: string, records: number): Promise<void> {
  await run(process.execPath, ['--conditions=@callpipe/source', join(REPO_ROOT, 'test/bench/write-cdr-csv.ts'), path, String(records)]);
}

async function withDatabase<T>(serverUrl: string, name: string, work: (databaseUrl: string) => Promise<T>): Promise<T> {
  const databaseName = `callpipe_bench_replay_${name}_${Date.now()}`;
  try {
    return await work(databaseUrlFor(serverUrl, databaseName));
  } finally {
    await dropDatabase(serverUrl, databaseName);
  }
}

/** Rows per second of `psql \copy` of the file into a table of text columns with no index. */
async function copyBaseline(serverUrl: string, file: string, records: number): Promise<number> {
  return withDatabase(serverUrl, 'copy', async (databaseUrl) => {
    const admin = createDatabase({ connectionString: serverUrl, poolSize: 1 });
    await sql`CREATE DATABASE ${sql.raw(new URL(databaseUrl).pathname.slice(1))}`.execute(admin);
    await admin.destroy();
    const columns = CDR_CSV_COLUMNS.map((column) => `"${column}" text`).join(', ');
    await run('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE TABLE copy_baseline (${columns})`, databaseUrl]);
    const started = performance.now();
    await run('psql', [
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy copy_baseline FROM '${file}' WITH (FORMAT csv, HEADER true)`,
      databaseUrl,
    ]);
    return records / ((performance.now() - started) / 1000);
  });
}

async function replayInto(
  serverUrl: string,
  file: string,
  name: string,
  prepare: (databaseUrl: string) => Promise<void>,
): Promise<ReplayRun> {
  return withDatabase(serverUrl, name, async (databaseUrl) => {
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
    const migrate = runCallpipe(['migrate'], env);
    if ((await migrate.exited) !== 0) throw new Error(`migrate failed: ${migrate.output()}`);
    await prepare(databaseUrl);
    const replay = runCallpipe(['replay', '--json', file], env);
    const pid = replay.child.pid!;
    let peakKiB = 0;
    const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, highWaterKiB(pid))), 100);
    const meter = cpuMeter({ replay: () => [pid], postgres: () => pidsNamed('postgres') });
    const code = await replay.exited;
    clearInterval(sampler);
    const cpu = meter.stop();
    if (code !== 0) throw new Error(`replay exited with ${code}: ${replay.output().slice(-3_000)}`);
    const summaryLine = replay
      .output()
      .split('\n')
      .find((text) => text.startsWith('{"type":"summary"'));
    if (!summaryLine) throw new Error(`replay printed no summary: ${replay.output().slice(-3_000)}`);
    const summary = JSON.parse(summaryLine) as {
      records: { total: number };
      recordsPerSecond: number;
      peakRssBytes: number;
      timings: ReplayRun['timings'];
    };
    const total = summary.records.total;
    return {
      records: total,
      recordsPerSecond: summary.recordsPerSecond,
      // The sampler can miss the last moments; the command's own figure covers them.
      peakRssMiB: Math.round(Math.max(peakKiB * 1024, summary.peakRssBytes) / 2 ** 20),
      timings: summary.timings,
      cpuMicrosPerRecord: {
        replay: Math.round(((cpu['replay'] ?? 0) / Math.max(1, total)) * 1e6),
        postgres: Math.round(((cpu['postgres'] ?? 0) / Math.max(1, total)) * 1e6),
      },
    };
  });
}

/** VmHWM (peak RSS) of a running process in KiB; 0 once it is gone. */
function highWaterKiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
