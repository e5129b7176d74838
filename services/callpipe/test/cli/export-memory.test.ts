import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDR_EXPORT_COLUMNS, createDatabase } from '@callpipe/db';
import { generateCalls } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe } from '../support/cli.ts';

// Memory stays one page of rows and one Parquet row group, whatever the period holds. The export runs
// with a V8 heap of 96 MB: rows held all at once (50,000 CDR rows are well over 200 MB as objects)
// would end it with an out-of-memory crash. V8 grows its heap lazily, so RSS alone would not tell.
const ROWS = 50_000;
const HEAP_MB = 96;

const context = testContext();
let database: TestDatabase;
let directory: string;
let env: Record<string, string>;

/** Clones the one stored CDR `count` times, one second apart, each with its own session id in the row and the record. */
async function cloneCdrs(count: number, firstIndex: number): Promise<void> {
  const db = createDatabase({ connectionString: database.url, poolSize: 1, statementTimeoutMs: 300_000 });
  try {
    const columns = Object.keys(CDR_EXPORT_COLUMNS).filter(
      (column) => column !== 'session_id' && column !== 'record' && column !== 'call_end_time',
    );
    const list = sql.join(columns.map((column) => sql.ref(column)));
    await sql`
      INSERT INTO cdrs (session_id, record, call_end_time, ${list})
      SELECT 'clone-' || g, jsonb_set(record, '{sessionId}', to_jsonb('clone-' || g)), call_end_time + g * interval '1 second', ${list}
      FROM (SELECT * FROM cdrs WHERE session_id NOT LIKE 'clone-%' LIMIT 1) template, generate_series(${firstIndex}::int, ${firstIndex + count - 1}::int) g
    `.execute(db);
  } finally {
    await db.destroy();
  }
}

async function exportPeak(file: string): Promise<{ rows: number; bytes: number; peakRssBytes: number; durationSeconds: number }> {
  const result = await callpipe(
    ['export', 'cdrs', '--from', '2000-01-01', '--to', '2100-01-01', '--out', file, '--json'],
    { ...env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
    { timeoutMs: 400_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { rows: number; bytes: number; peakRssBytes: number; durationSeconds: number };
}

beforeAll(async () => {
  database = await context.createDatabase();
  directory = await mkdtemp(join(tmpdir(), 'callpipe-cli-export-memory-'));
  env = { DATABASE_URL: database.url };
  const file = join(directory, 'one.jsonl');
  await writeFile(file, `${JSON.stringify(generateCalls(3, 1)[0]!.cdr)}\n`);
  const replayed = await callpipe(['replay', file], env);
  expect(replayed.code, replayed.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await database.drop();
  await rm(directory, { recursive: true, force: true });
});

describe('callpipe export memory', () => {
  it(`when ${ROWS} CDRs are exported as csv or parquet, then a ${HEAP_MB} MB heap is enough`, async () => {
    await cloneCdrs(ROWS - 1, 1);
    for (const format of ['csv', 'parquet'] as const) {
      const file = join(directory, `large.${format}`);
      const summary = await exportPeak(file);
      expect(summary.rows).toBe(ROWS);
      expect((await stat(file)).size).toBe(summary.bytes);
      console.log(
        `export ${format}: ${ROWS} rows, ${(summary.bytes / 2 ** 20).toFixed(1)} MiB file, peak RSS ${(summary.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${summary.durationSeconds} s`,
      );
    }
  }, 900_000);
});
