import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@callpipe/db';
import { conformanceCorpus, demoAppKeys, demoBusinessByAppKey, generateCalls } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
let source: TestDatabase;
type Db = ReturnType<typeof createDatabase>;
let sourceDb: Db;
let directory: string;
let env: Record<string, string>;

const WHOLE = ['--from', '2000-01-01', '--to', '2100-01-01'];
/** Receive-time bookkeeping: about arrival, not content, so a replay sets them anew. */
const ARRIVAL_COLUMNS = ['delivery_count', 'first_received_at', 'last_received_at', 'call_day'] as const;

const calls = generateCalls(14, 60, { startAt: new Date('2026-11-30T15:45:00Z'), missingCalledProbability: 0.3 });

/** The accepted CDRs of the conformance corpus (every tolerated spelling, anomalies included), each under a session id of its own. */
function conformanceRecords(): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const [index, item] of conformanceCorpus.entries()) {
    if ('rejected' in item.expected || item.expected.kind !== 'fee' || (item.expected.rejectedRecords ?? []).length > 0) continue;
    if (!('text' in item.body)) continue;
    let body: unknown;
    try {
      body = JSON.parse(item.body.text);
    } catch {
      continue;
    }
    const feeLst = (body as { feeLst?: unknown }).feeLst;
    if (!Array.isArray(feeLst)) continue;
    for (const [position, record] of (feeLst as unknown[]).entries()) {
      if (typeof record === 'object' && record !== null)
        records.push({ ...(record as Record<string, unknown>), sessionId: `conformance-${index}-${position}` });
    }
  }
  return records;
}

/** CDRs ending on either side of midnight in Beijing (16:00 UTC) and in UTC. */
const edgeRecords = [
  ['edge-before-beijing-midnight', '2026-11-30 15:59:59'],
  ['edge-at-beijing-midnight', '2026-11-30 16:00:00'],
  ['edge-at-utc-midnight', '2026-12-01 00:00:00'],
  ['edge-at-next-beijing-midnight', '2026-12-01 16:00:00'],
].map(([sessionId, callEndTime]) => ({ ...calls[0]!.cdr, sessionId, callEndTime, userData: 'edge' }));

async function replayInto(database: TestDatabase, file: string) {
  const result = await callpipe(['replay', file], { ...env, DATABASE_URL: database.url }, { timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
}

async function exportTo(args: string[], extraEnv: Record<string, string> = {}) {
  const result = await callpipe(['export', ...args], { ...env, ...extraEnv }, { timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
  return result;
}

async function exportSummary(args: string[], extraEnv: Record<string, string> = {}) {
  const result = await exportTo([...args, '--json'], extraEnv);
  return JSON.parse(result.stdout) as {
    rows: number;
    bytes: number;
    file: string;
    csvInexactRecords?: number;
    period: unknown;
    peakRssBytes: number;
  };
}

type Row = Record<string, unknown>;

async function contentRows(db: Db): Promise<Map<string, Row>> {
  const rows = await db.selectFrom('cdrs').selectAll().where('call_end_time', 'is not', null).execute();
  return new Map(
    rows.map((row) => {
      const content: Row = { ...row };
      for (const column of ARRIVAL_COLUMNS) delete content[column];
      return [row.session_id, content];
    }),
  );
}

beforeAll(async () => {
  source = await context.createDatabase();
  sourceDb = createDatabase({ connectionString: source.url, poolSize: 1 });
  directory = await mkdtemp(join(tmpdir(), 'callpipe-cli-export-'));
  env = {
    DATABASE_URL: source.url,
    CALLPIPE_APP_BUSINESS: [...demoBusinessByAppKey].map(([appKey, business]) => `${appKey}=${business}`).join(','),
  };
  const items = [...calls.flatMap((call) => [...call.statusPushes, call.cdr]), ...conformanceRecords(), ...edgeRecords];
  const file = join(directory, 'source.jsonl');
  await writeFile(file, items.map((item) => `${JSON.stringify(item)}\n`).join(''));
  await replayInto(source, file);
}, 120_000);

afterAll(async () => {
  await sourceDb.destroy();
  await source.drop();
  await rm(directory, { recursive: true, force: true });
});

describe('callpipe export', () => {
  it('when given --help, then it prints its usage naming the tables and formats, and reads no configuration', async () => {
    const result = await callpipe(['export', '--help'], refusedEnv);
    expectHelp(result, 'callpipe export [options] <table>');
    expect(result.stdout).toContain('(choices: "cdrs", "calls", "events")');
    expect(result.stdout).toMatch(/csv, ndjson or parquet/);
  });

  const refusals: Array<[string, () => string[], string]> = [
    ['no --from', () => ['cdrs', '--to', '2026-12-02'], "required option '--from <time>' not specified"],
    ['an unknown table', () => ['cdr', ...WHOLE], "value 'cdr' is invalid for argument 'table'. Allowed choices are cdrs, calls, events"],
    [
      'a --from that is no day',
      () => ['cdrs', '--from', '2026-13-01', '--to', '2026-12-02'],
      '--from: "2026-13-01" is not a day (2026-12-01), a wall time (2026-12-01T08:30, both in Asia/Shanghai) or an instant with an offset',
    ],
    ['a --to in words', () => ['cdrs', '--from', '2026-12-01', '--to', 'yesterday'], '--to: "yesterday" is not a day'],
    [
      '--from after --to',
      () => ['cdrs', '--from', '2026-12-02', '--to', '2026-12-01T00:00:00Z'],
      '--from must be before --to: 2026-12-02 is 2026-12-01T16:00:00.000Z and 2026-12-01T00:00:00Z is 2026-12-01T00:00:00.000Z (Asia/Shanghai)',
    ],
    ['--from equal to --to', () => ['cdrs', '--from', '2026-12-01', '--to', '2026-12-01'], '--from must be before --to'],
    ['an unknown format', () => ['cdrs', ...WHOLE, '--format', 'xml'], '--format: '],
    ['an unknown business', () => ['cdrs', ...WHOLE, '--business', 'sales'], '--business: '],
    [
      '--json with the data on stdout',
      () => ['cdrs', ...WHOLE, '--json'],
      '--json writes the summary to stdout, which holds the exported data',
    ],
    ['--json with --out -', () => ['cdrs', ...WHOLE, '--json', '--out', '-'], 'give --out FILE, or leave out --json'],
    [
      'parquet with --gzip',
      () => ['cdrs', ...WHOLE, '--format', 'parquet', '--gzip', '--out', join(directory, 'x.parquet')],
      'parquet is compressed inside',
    ],
    ['an --out of .parquet.gz', () => ['cdrs', ...WHOLE, '--out', join(directory, 'x.parquet.gz')], 'parquet is compressed inside'],
    ['an --out in a missing directory', () => ['cdrs', ...WHOLE, '--out', join(directory, 'missing', 'x.csv')], '--out: the directory'],
    ['an --out that is a directory', () => ['cdrs', ...WHOLE, '--out', directory], 'is a directory'],
  ];
  it.each(refusals)('when given %s, then it exits 2 with one line on stderr naming the mistake', async (_case, args, message) => {
    expectUsageError(await callpipe(['export', ...args()], env), message);
  });

  it('when the billing time zone is Asia/Shanghai or UTC, then a day is cut where that zone has midnight', async () => {
    const edgesOf = async (extraEnv: Record<string, string>, from: string, to: string) => {
      const { stdout } = await exportTo(['cdrs', '--from', from, '--to', to, '--format', 'ndjson'], extraEnv);
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { sessionId: string }).sessionId)
        .filter((sessionId) => sessionId.startsWith('edge-'));
    };
    expect(await edgesOf({}, '2026-12-01', '2026-12-02')).toEqual(['edge-at-beijing-midnight', 'edge-at-utc-midnight']);
    expect(await edgesOf({ CALLPIPE_BILLING_TIME_ZONE: 'UTC' }, '2026-12-01', '2026-12-02')).toEqual([
      'edge-at-utc-midnight',
      'edge-at-next-beijing-midnight',
    ]);
    // Wall times are in the zone too; instants with an offset are taken as they are, whatever the zone.
    expect(await edgesOf({}, '2026-12-01T00:00', '2026-12-01T08:00:01')).toEqual(['edge-at-beijing-midnight', 'edge-at-utc-midnight']);
    expect(await edgesOf({ CALLPIPE_BILLING_TIME_ZONE: 'UTC' }, '2026-11-30T15:59:59Z', '2026-11-30T16:00:00Z')).toEqual([
      'edge-before-beijing-midnight',
    ]);
  });

  it('when there is no row in the period, then a CDR CSV is its header alone and the summary says 0 rows', async () => {
    const out = join(directory, 'empty.csv');
    const summary = await exportSummary(['cdrs', '--from', '1999-01-01', '--to', '1999-01-02', '--out', out]);
    expect(summary).toMatchObject({ rows: 0, file: out, period: { from: '1998-12-31T16:00:00.000Z', to: '1999-01-01T16:00:00.000Z' } });
    const text = await readFile(out, 'utf8');
    expect(text.startsWith('sessionId,direction,spId,appKey,')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(2);
    expect(summary.bytes).toBe(Buffer.byteLength(text));
  });

  it('when CDRs are exported as ndjson or csv and replayed into an empty database, then every content column is identical', async () => {
    const expected = await contentRows(sourceDb);
    expect(expected.size).toBeGreaterThan(calls.length);
    const withAnomalies = [...expected.values()].filter((row) => (row['anomalies'] as unknown[]).length > 0);
    expect(withAnomalies.length).toBeGreaterThan(3);
    expect(new Set([...expected.values()].map((row) => row['business']))).toEqual(new Set(['click2call', 'notify', 'verify']));

    for (const format of ['ndjson', 'csv'] as const) {
      const out = join(directory, `round-trip.${format}.gz`);
      const summary = await exportSummary(['cdrs', ...WHOLE, '--out', out]);
      expect(summary.rows).toBe(expected.size);
      const target = await context.createDatabase();
      const targetDb = createDatabase({ connectionString: target.url, poolSize: 1 });
      try {
        await replayInto(target, out);
        const replayed = await contentRows(targetDb);
        const differing = [...expected].filter(([sessionId, row]) => {
          const other = replayed.get(sessionId);
          return other === undefined || JSON.stringify(other) !== JSON.stringify(row);
        });
        // CSV carries text and integers only: what it cannot carry is counted, and only that differs.
        expect(differing.length, `${format}: ${differing.map(([id]) => id).join(', ')}`).toBe(summary.csvInexactRecords ?? 0);
        if (format === 'ndjson') {
          for (const [sessionId, row] of expected) expect(replayed.get(sessionId), sessionId).toEqual(row);
        }
        expect(replayed.size).toBe(expected.size);
      } finally {
        await targetDb.destroy();
        await target.drop();
      }
    }
  });

  it('when filtered by app key or business, then only those rows are written', async () => {
    const appKey = demoAppKeys.notify;
    const { stdout } = await exportTo(['cdrs', ...WHOLE, '--app-key', appKey, '--format', 'ndjson']);
    const records = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { appKey: string });
    const stored = await sourceDb
      .selectFrom('cdrs')
      .select('session_id')
      .where('app_key', '=', appKey)
      .where('call_end_time', 'is not', null)
      .execute();
    expect(records.length).toBe(stored.length);
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.map((record) => record.appKey))).toEqual(new Set([appKey]));

    const out = join(directory, 'verify-calls.ndjson');
    const summary = await exportSummary(['calls', ...WHOLE, '--business', 'verify', '--out', out]);
    const rows = (await readFile(out, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Row);
    const storedCalls = await sourceDb
      .selectFrom('calls')
      .select('session_id')
      .where('business', '=', 'verify')
      .where('started_at', 'is not', null)
      .execute();
    expect(summary.rows).toBe(storedCalls.length);
    expect(new Set(rows.map((row) => row['business']))).toEqual(new Set(['verify']));

    const events = await exportTo(['events', ...WHOLE, '--business', 'verify', '--format', 'ndjson']);
    const eventSessions = new Set(
      events.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as Row)['session_id']),
    );
    expect(eventSessions.size).toBeGreaterThan(0);
    for (const sessionId of eventSessions) expect(rows.some((row) => row['session_id'] === sessionId)).toBe(true);
  });

  it('when calls and events are exported, then they are the table columns, snake_case, with ISO-8601 UTC times', async () => {
    const period = ['--from', '2026-12-01', '--to', '2026-12-02'];
    const [first] = (await exportTo(['calls', ...period, '--format', 'ndjson'])).stdout.split('\n');
    const call = JSON.parse(first!) as Row;
    expect(Object.keys(call)).toEqual(expect.arrayContaining(['session_id', 'started_at', 'has_cdr', 'facts', 'call_day', 'created_at']));
    expect(call['started_at']).toMatch(/^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(call['started_at'] as string)).toBeGreaterThanOrEqual(Date.parse('2026-11-30T16:00:00Z'));
    const { count } = await sourceDb
      .selectFrom('calls')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('started_at', '>=', new Date('2026-11-30T16:00:00Z'))
      .where('started_at', '<', new Date('2026-12-01T16:00:00Z'))
      .executeTakeFirstOrThrow();
    const csv = (await exportTo(['calls', ...period, '--format', 'csv'])).stdout.split('\r\n');
    expect(csv[0]!.startsWith('session_id,business,business_source,app_key,state,outcome,')).toBe(true);
    expect(csv.filter(Boolean).length - 1).toBe(Number(count));

    const events = (await exportTo(['events', ...period, '--format', 'csv'])).stdout.split('\r\n').filter(Boolean);
    expect(events[0]).toBe(
      'session_id,event_key,event_type,known_event_type,event_at,caller,called,state_code,state_desc,digit_info,user_data,party_type,payload,anomalies,delivery_count,first_received_at,last_received_at,call_day',
    );
    const stored = await sourceDb
      .selectFrom('call_events')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('event_at', '>=', new Date('2026-11-30T16:00:00Z'))
      .where('event_at', '<', new Date('2026-12-01T16:00:00Z'))
      .executeTakeFirstOrThrow();
    expect(events.length - 1).toBe(Number(stored.count));
  });

  it('when CDRs are exported as parquet, then reading the file back gives the rows with typed columns', async () => {
    const out = join(directory, 'cdrs.parquet');
    const summary = await exportSummary(['cdrs', '--from', '2026-12-01', '--to', '2026-12-02', '--out', out]);
    const bytes = await readFile(out);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const schema = parquetMetadata(file).schema;
    expect(schema.find((element) => element.name === 'call_end_time')).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true },
    });
    expect(schema.find((element) => element.name === 'billable_minutes')).toMatchObject({ type: 'INT32' });
    expect(schema.find((element) => element.name === 'record')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'JSON' });

    const read = await parquetReadObjects({ file });
    const stored = await sourceDb
      .selectFrom('cdrs')
      .selectAll()
      .where('call_end_time', '>=', new Date('2026-11-30T16:00:00Z'))
      .where('call_end_time', '<', new Date('2026-12-01T16:00:00Z'))
      .orderBy('call_end_time')
      .orderBy('session_id')
      .execute();
    expect(summary.rows).toBe(stored.length);
    expect(read.map((row: Record<string, unknown>) => row['session_id'] as string)).toEqual(stored.map((row) => row.session_id));
    for (const [index, row] of stored.entries()) {
      const got = read[index]!;
      expect(got['call_end_time']).toEqual(row.call_end_time);
      expect(got['call_in_time']).toEqual(row.call_in_time);
      expect(got['billable_minutes']).toBe(row.billable_minutes);
      expect(got['business']).toBe(row.business);
      expect(JSON.parse(got['record'] as string)).toEqual(row.record);
      expect(got['call_day']).toEqual(new Date(`${row.call_day}T00:00:00Z`));
    }
  });

  it('when --out names a .gz file or --gzip is given, then the data is gzipped; without --out it goes to stdout', async () => {
    const plain = (await exportTo(['cdrs', ...WHOLE, '--format', 'csv'])).stdout;
    expect(plain.startsWith('sessionId,')).toBe(true);
    const implied = join(directory, 'implied.csv.gz');
    await exportTo(['cdrs', ...WHOLE, '--out', implied]);
    expect(gunzipSync(await readFile(implied)).toString()).toBe(plain);
    const asked = join(directory, 'asked.csv');
    await exportTo(['cdrs', ...WHOLE, '--gzip', '--out', asked]);
    expect(gunzipSync(await readFile(asked)).toString()).toBe(plain);
    const result = await exportTo(['cdrs', ...WHOLE, '--format', 'csv']);
    expect(result.stderr).toMatch(
      /^export cdrs: [\d,]+ rows, [\d,]+ bytes csv to stdout in [\d.]+ s; period \[1999-12-31T16:00:00.000Z, 2099-12-31T16:00:00.000Z\) \(Asia\/Shanghai days\)\n/,
    );
  });
});
