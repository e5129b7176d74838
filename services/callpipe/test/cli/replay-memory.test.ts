import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@callpipe/db';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe } from '../support/cli.ts';

// `callpipe replay` restarts itself with the bulk heap flags (commands/bulk-heap.ts). Under V8's
// defaults this replay peaks above 400 MiB of RSS, garbage the old generation was let grow into; the
// bound is the replay target of BENCHMARKS.md. Memory that grew with the records read would show as
// the second half's RSS exceeding the first half's. The command's process is sampled from /proc.
const CDR_COUNT = 200_000;
const MAX_PEAK_RSS_BYTES = 256 * 2 ** 20;
const MAX_SECOND_HALF_GROWTH_BYTES = 64 * 2 ** 20;
const SAMPLE_EVERY_MS = 100;
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

const context = testContext();
let database: TestDatabase;
let directory: string;
let file: string;

/** Resident set size of a running process, or null once it is gone. */
function rssOf(pid: number): number | null {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

beforeAll(async () => {
  database = await context.createDatabase();
  directory = await mkdtemp(join(tmpdir(), 'callpipe-cli-replay-memory-'));
  file = join(directory, 'cdrs-200k.json.gz');
  await promisify(execFile)(process.execPath, [
    '--conditions=@callpipe/source',
    fileURLToPath(new URL('../support/write-large-cdr-file.ts', import.meta.url)),
    file,
    String(CDR_COUNT),
  ]);
}, 120_000);

afterAll(async () => {
  await database.drop();
  await rm(directory, { recursive: true, force: true });
});

describe('callpipe replay memory', () => {
  it(`when a gzip'd JSON array of ${CDR_COUNT.toLocaleString('en-US')} CDRs is replayed, then all are stored and the process stays under 256 MiB, not growing with the file`, async () => {
    const samples: Array<{ at: number; rss: number }> = [];
    let sampler: NodeJS.Timeout | undefined;
    const result = await callpipe(
      ['replay', '--json', file],
      { DATABASE_URL: database.url },
      {
        timeoutMs: 840_000,
        onSpawn: (pid) => {
          sampler = setInterval(() => {
            const rss = rssOf(pid);
            if (rss !== null) samples.push({ at: performance.now(), rss });
          }, SAMPLE_EVERY_MS);
        },
      },
    );
    clearInterval(sampler);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      type: string;
      records: { total: number; invalid: number };
      stored: { deliveriesStored: number; cdrsInserted: number; callsCreated: number };
      peakRssBytes: number;
      recordsPerSecond: number;
    };
    expect(summary.type).toBe('summary');
    expect(summary.records).toEqual({ total: CDR_COUNT, invalid: 0 });
    expect(summary.stored).toMatchObject({ deliveriesStored: CDR_COUNT, cdrsInserted: CDR_COUNT, callsCreated: CDR_COUNT });
    const db = createDatabase({ connectionString: database.url, poolSize: 1 });
    try {
      const counts = await sql<{ cdrs: string; calls: string }>`
        SELECT (SELECT count(*) FROM cdrs) AS cdrs, (SELECT count(*) FROM calls) AS calls`.execute(db);
      expect(counts.rows[0]).toEqual({ cdrs: String(CDR_COUNT), calls: String(CDR_COUNT) });
    } finally {
      await db.destroy();
    }

    expect(samples.length).toBeGreaterThan(100);
    const middle = (samples[0]!.at + samples.at(-1)!.at) / 2;
    const peakOf = (half: typeof samples) => Math.max(...half.map((sample) => sample.rss));
    const firstHalfPeak = peakOf(samples.filter((sample) => sample.at <= middle));
    const secondHalfPeak = peakOf(samples.filter((sample) => sample.at > middle));
    console.log(
      `replay via the CLI: ${mib((await stat(file)).size)} gzip'd, ${CDR_COUNT} CDRs at ${Math.round(summary.recordsPerSecond)}/s; peak RSS ${mib(summary.peakRssBytes)}, over the first half ${mib(firstHalfPeak)}, over the second half ${mib(secondHalfPeak)}`,
    );
    expect(secondHalfPeak).toBeLessThan(firstHalfPeak + MAX_SECOND_HALF_GROWTH_BYTES);
    expect(Math.max(summary.peakRssBytes, firstHalfPeak, secondHalfPeak)).toBeLessThan(MAX_PEAK_RSS_BYTES);
  }, 900_000);
});
