import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { acceptedDelivery, storeDeliveries, type Database } from '@callpipe/db';
import { parsePush, type BusinessByAppKey } from '@callpipe/events';
import { demoBusinessByAppKey, type FeeRecord, type Push } from '@callpipe/fixtures';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import {
  replay,
  resolveInputs,
  type FileProblem,
  type ProgressSnapshot,
  type RecordReport,
  type ReplayOptions,
  type ReplaySummary,
} from '../src/index.ts';

export const businessByAppKey = demoBusinessByAppKey;

/** A temporary directory for one test file's replay files. */
export async function scratchDirectory(): Promise<{
  path: (name: string) => string;
  write: (name: string, content: string | Buffer, gzip?: boolean) => Promise<string>;
  remove: () => Promise<void>;
}> {
  const directory = await mkdtemp(join(tmpdir(), 'callpipe-replay-test-'));
  return {
    path: (name) => join(directory, name),
    write: async (name, content, gzip = false) => {
      const path = join(directory, name);
      await writeFile(path, gzip ? gzipSync(content) : content);
      return path;
    },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

export interface ReplayRun {
  summary: ReplaySummary;
  records: RecordReport[];
  problems: FileProblem[];
}

/** Runs a replay as the command does, collecting what it reports. */
export async function replayFiles(
  db: Kysely<Database>,
  paths: string[],
  options: Partial<ReplayOptions> = {},
  stdin: Readable = Readable.from([]),
  progress?: (snapshot: ProgressSnapshot) => void,
): Promise<ReplayRun> {
  const records: RecordReport[] = [];
  const problems: FileProblem[] = [];
  const inputs = await resolveInputs(paths, stdin);
  const summary = await replay(
    db,
    inputs,
    { businessByAppKey, ...options },
    { record: (report) => records.push(report), problem: (problem) => problems.push(problem), progress },
  );
  return { summary, records, problems };
}

/** Stores pushes as the worker does for live HTTP deliveries, one delivery each. */
export async function storeLive(
  db: Kysely<Database>,
  pushes: readonly Push[],
  options: { businessByAppKey: BusinessByAppKey } = { businessByAppKey },
  receivedAt = '2024-06-11T04:00:00.000Z',
): Promise<void> {
  const deliveries = pushes.map((push) => {
    const verdict = parsePush(JSON.stringify(push), options);
    if (!verdict.ok) throw new Error(verdict.rejection.message);
    return acceptedDelivery({ deliveryId: randomUUID(), source: 'http:/voicecall/events', receivedAt }, verdict);
  });
  for (let i = 0; i < deliveries.length; i += 200) await storeDeliveries(db, deliveries.slice(i, i + 200));
}

/** Every row of the call tables and the delivery ledger, bookkeeping included, in a stable order. */
export async function fullSnapshot(db: Kysely<Database>) {
  return {
    calls: await db.selectFrom('calls').selectAll().orderBy('session_id').execute(),
    events: await db.selectFrom('call_events').selectAll().orderBy('session_id').orderBy('event_key').execute(),
    cdrs: await db.selectFrom('cdrs').selectAll().orderBy('session_id').execute(),
    deliveries: await db
      .selectFrom('push_deliveries')
      .select(['delivery_id', 'source', 'received_at', 'record_count', 'rejected_record_count'])
      .orderBy('delivery_id')
      .execute(),
    rejected: await db.selectFrom('rejected_pushes').select(['rejection_key', 'reason_code', 'record']).orderBy('rejection_key').execute(),
  };
}

/**
 * The stored content without delivery counts, receive times (call_day is the day of the first one)
 * and row timestamps: what any delivery order must reproduce.
 */
export async function contentSnapshot(db: Kysely<Database>) {
  const { calls, events, cdrs } = await fullSnapshot(db);
  return {
    calls: calls.map(({ created_at: _c, updated_at: _u, call_day: _d, ...row }) => row),
    events: events.map(({ delivery_count: _d, first_received_at: _f, last_received_at: _l, call_day: _cd, ...row }) => row),
    cdrs: cdrs.map(({ delivery_count: _d, first_received_at: _f, last_received_at: _l, call_day: _cd, ...row }) => row),
  };
}

export const jsonLines = (values: readonly unknown[]) => `${values.map((value) => JSON.stringify(value)).join('\n')}\n`;

/** RFC 4180 CSV of CDR records, every cell quoted, with the union of their fields as the header. */
export function csvOf(records: readonly FeeRecord[], extraColumns: readonly string[] = []): string {
  const columns = [...new Set([...records.flatMap((record) => Object.keys(record)), ...extraColumns])];
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const cell = (value: unknown) => (value === undefined || value === null ? '' : `"${text(value).replaceAll('"', '""')}"`);
  return [columns.join(','), ...records.map((record) => columns.map((column) => cell(record[column])).join(','))].join('\r\n') + '\r\n';
}

export async function count(
  db: Kysely<Database>,
  table: 'push_deliveries' | 'cdrs' | 'calls' | 'call_events' | 'rejected_pushes',
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type ScratchDirectory = Awaited<ReturnType<typeof scratchDirectory>>;

/** A migrated database and a scratch directory for one describe block, removed after it. */
export function databaseAndFiles(): { readonly database: TestDatabase; readonly files: ScratchDirectory } {
  const state: { database?: TestDatabase; files?: ScratchDirectory } = {};
  beforeAll(async () => {
    [state.database, state.files] = await Promise.all([testContext().createDatabase(), scratchDirectory()]);
  });
  afterAll(async () => {
    await Promise.all([state.database?.drop(), state.files?.remove()]);
  });
  return {
    get database() {
      return state.database!;
    },
    get files() {
      return state.files!;
    },
  };
}
