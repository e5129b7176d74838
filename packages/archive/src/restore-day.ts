import { createGunzip } from 'node:zlib';
import {
  ensureDayPartitions,
  restoreCallRows,
  restoreDayRows,
  restoreReplayedDeliveries,
  type ArchivedTable,
  type Database,
} from '@callpipe/db';
import type { ObjectStore } from '@callpipe/object-store';
import type { Kysely } from 'kysely';
import { verifyDay } from './verify-day.ts';

export interface RestoredTable {
  table: ArchivedTable;
  /** Rows in the archive. */
  archived: number;
  /** Rows put back; the others were there already. */
  inserted: number;
}

export interface DayRestore {
  day: string;
  /** Daily partitions created for the day (it had been dropped). */
  createdPartitions: string[];
  tables: RestoredTable[];
}

export class ArchiveVerificationError extends Error {
  override readonly name = 'ArchiveVerificationError';
  readonly problems: string[];
  constructor(day: string, problems: string[]) {
    super(`the archive of ${day} does not verify, nothing restored: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

const ROWS_PER_TRANSACTION = 1_000;

export interface RestoreOptions {
  /** CALLPIPE_BILLING_TIME_ZONE: the billing days of the restored calls' contributions. */
  billingTimeZone?: string;
}

/**
 * Puts the day's archived rows back exactly, after verifying the archive: recreates its partitions
 * if they were dropped, and inserts every row whose primary key is not there (so a second restore,
 * or one into a day that still has rows, adds nothing twice). Streams: memory stays bounded.
 *
 * `calls` come back last, each chunk with the billing contributions of its calls, computed from the
 * cdrs already restored: billing_daily kept the day's totals, so the restored calls' next writes
 * replace their share of them rather than add it again.
 */
export async function restoreDay(db: Kysely<Database>, store: ObjectStore, day: string, options: RestoreOptions = {}): Promise<DayRestore> {
  const verification = await verifyDay(store, day);
  if (!verification.ok || verification.manifest === null) throw new ArchiveVerificationError(day, verification.problems);
  const createdPartitions = await ensureDayPartitions(db, day);
  const { files } = verification.manifest;
  const restored = new Map<ArchivedTable, RestoredTable>();
  for (const file of [...files.filter((f) => f.table !== 'calls'), ...files.filter((f) => f.table === 'calls')]) {
    let inserted = 0;
    let batch: string[] = [];
    const flush = async () => {
      const lines = batch;
      batch = [];
      inserted += await db
        .transaction()
        .execute((trx) =>
          file.table === 'calls' ? restoreCallRows(trx, lines, options.billingTimeZone) : restoreDayRows(trx, file.table, lines),
        );
    };
    for await (const line of ndjsonLines((await store.get(file.key)).pipe(createGunzip()))) {
      batch.push(line);
      if (batch.length >= ROWS_PER_TRANSACTION) await flush();
    }
    await flush();
    restored.set(file.table, { table: file.table, archived: file.rows, inserted });
  }
  await restoreReplayedDeliveries(db, day);
  return { day, createdPartitions, tables: files.map((file) => restored.get(file.table)!) };
}

/**
 * The lines of a stream, split at "\n" only. Not node:readline, which also splits at U+2028 and
 * U+2029: those may stand unescaped inside a JSON string, and splitting there would change the row.
 */
async function* ndjsonLines(input: AsyncIterable<Buffer>): AsyncIterable<string> {
  let pending: Buffer[] = [];
  for await (const chunk of input) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, end));
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      if (line !== '') yield line;
      start = end + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) throw new Error('the last line is cut short');
}
