import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ARCHIVED_TABLES, countDayRows, latestMigration, readDayRows, type ArchivedTable, type Database } from '@callpipe/db';
import type { ObjectStore } from '@callpipe/object-store';
import type { Kysely } from 'kysely';
import { ARCHIVE_FORMAT, assertDay, manifestKey, tableKey, type ArchivedFile, type DayManifest } from './layout.ts';
import { readBack, readManifest } from './read-back.ts';
import { restoreDay } from './restore-day.ts';

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

export interface ArchiveDayOptions {
  now?: () => Date;
  chunkRows?: number;
}

/**
 * Writes every table's rows of `day` to the store, reads each file back and checks its length,
 * SHA-256 and row count (and that the table still has as many rows of the day), and only then
 * writes the manifest. Resolves only when the day is completely archived; the retention drops the
 * day after that, never before.
 *
 * A day archived before (a run that stopped between archive and drop, or a day restored and
 * expiring again) is first restored from its archive, so the new archive holds both what was
 * archived and what is in the tables now: rows deleted after the first archive are not lost by
 * the second.
 */
export async function archiveDay(
  db: Kysely<Database>,
  store: ObjectStore,
  day: string,
  options: ArchiveDayOptions = {},
): Promise<DayManifest> {
  assertDay(day);
  if ((await readManifest(store, day)) !== null) {
    await restoreDay(db, store, day);
    await store.delete(manifestKey(day));
  }
  const files: ArchivedFile[] = [];
  for (const { table } of ARCHIVED_TABLES) files.push(await writeTable(db, store, day, table, options.chunkRows));
  for (const file of files) {
    const found = await readBack(store, file.key);
    if (found.bytes !== file.bytes || found.sha256 !== file.sha256 || found.rows !== file.rows)
      throw new ArchiveError(
        `${store.url} ${file.key} reads back as ${found.rows} rows, ${found.bytes} bytes, SHA-256 ${found.sha256}; written were ${file.rows} rows, ${file.bytes} bytes, ${file.sha256}`,
      );
    const now = await countDayRows(db, file.table, day);
    // Rows that arrived while the day was written would be dropped unarchived; the next run takes them.
    if (now !== file.rows)
      throw new ArchiveError(`${file.table} of ${day} has ${now} rows now, ${file.rows} were archived; trying again next run`);
  }
  const manifest: DayManifest = {
    format: ARCHIVE_FORMAT,
    day,
    schemaMigration: await latestMigration(db),
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    files,
  };
  await store.put(manifestKey(day), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), { contentType: 'application/json' });
  return manifest;
}

async function writeTable(
  db: Kysely<Database>,
  store: ObjectStore,
  day: string,
  table: ArchivedTable,
  chunkRows?: number,
): Promise<ArchivedFile> {
  // The day's rows are read from a cursor, which lives in a transaction (`readDayRows`).
  return db.transaction().execute(async (trx) => {
    let rows = 0;
    const lines = Readable.from(
      (async function* () {
        for await (const line of readDayRows(trx, table, day, chunkRows)) {
          rows += 1;
          yield `${line}\n`;
        }
      })(),
    );
    const gzip = createGzip();
    // pipeline destroys the gzip stream with the source's error, which fails the put with it.
    const feeding = pipeline(lines, gzip).catch(() => {});
    const stored = await store.put(tableKey(day, table), gzip, { contentType: 'application/gzip' });
    await feeding;
    return { table, key: stored.key, rows, bytes: stored.bytes, sha256: stored.sha256 };
  });
}
