import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCalls } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe } from '../support/cli.ts';

// The command restarts itself with the bulk heap flags (commands/bulk-heap.ts). Under V8's defaults
// this replay peaks above 400 MiB of RSS, garbage the old generation was let grow into; the bound is
// the replay target of BENCHMARKS.md.
const CDRS = 40_000;
const MAX_PEAK_RSS_BYTES = 256 * 2 ** 20;

const context = testContext();
let database: TestDatabase;
let directory: string;
let file: string;

beforeAll(async () => {
  database = await context.createDatabase();
  directory = await mkdtemp(join(tmpdir(), 'callpipe-cli-replay-memory-'));
  file = join(directory, 'cdrs.jsonl');
  const out = createWriteStream(file);
  for (const call of generateCalls(11, CDRS)) if (!out.write(`${JSON.stringify(call.cdr)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}, 120_000);

afterAll(async () => {
  await database.drop();
  await rm(directory, { recursive: true, force: true });
});

describe('callpipe replay memory', () => {
  it(`when ${CDRS.toLocaleString('en-US')} CDRs are replayed, then the process peaks under 256 MiB of RSS`, async () => {
    const result = await callpipe(['replay', '--json', file], { DATABASE_URL: database.url }, { timeoutMs: 600_000 });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      type: string;
      stored: { cdrsInserted: number };
      peakRssBytes: number;
      recordsPerSecond: number;
    };
    expect(summary.type).toBe('summary');
    expect(summary.stored.cdrsInserted).toBe(CDRS);
    console.log(
      `replay via the CLI: ${CDRS} CDRs, peak RSS ${Math.round(summary.peakRssBytes / 2 ** 20)} MiB, ${Math.round(summary.recordsPerSecond)} CDRs/s`,
    );
    expect(summary.peakRssBytes).toBeLessThan(MAX_PEAK_RSS_BYTES);
  }, 720_000);
});
