import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { listArchivedDays, restoreDay, verifyDay, type ArchivedDay, type DayVerification } from '@callpipe/archive';
import type { ObjectStore } from '@callpipe/object-store';
import { checkOptions, type CliIo, type Outcome } from '../commands/context.ts';
import type { ArchiveAction } from '../commands/archive.ts';
import { parseMigrateEnv } from '../env.ts';
import { withArchiveStore } from './archive-store.ts';
import { withCommandDatabase } from './database.ts';
import type { PartitionsConfig } from './partitions.ts';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
  .refine((value) => {
    const parsed = Date.parse(`${value}T00:00:00Z`);
    return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === value;
  }, 'is not a calendar day')
  .optional();
const optionsSchema = z.object({ day });

export async function archive(
  action: ArchiveAction,
  command: CommandUnknownOpts,
  flags: { day?: string; json?: true },
  env: NodeJS.ProcessEnv,
  io: Pick<CliIo, 'out' | 'err'>,
): Promise<Outcome> {
  const options = checkOptions(command, optionsSchema, { day: flags.day });
  return runArchive(action, { day: options.day, json: flags.json === true }, parseMigrateEnv(env), io);
}

/** `callpipe archive list|verify|restore`: reads the archive of CALLPIPE_ARCHIVE_URL; restore writes the database. */
export async function runArchive(
  action: ArchiveAction,
  options: { day: string | undefined; json: boolean },
  config: PartitionsConfig & { CALLPIPE_BILLING_TIME_ZONE: string },
  io: Pick<CliIo, 'out' | 'err'>,
): Promise<number> {
  return withArchiveStore(config, async (store) => {
    if (store === null) throw new Error('CALLPIPE_ARCHIVE_URL is not set: there is no archive to read');
    if (action === 'list') {
      const days = await listArchivedDays(store);
      if (options.json) io.out(JSON.stringify(days));
      else for (const line of describeDays(days)) io.out(line);
      io.err(`${days.length} day(s) in ${store.url}\n`);
      return 0;
    }
    if (action === 'verify') {
      const results = await verifyDays(store, options.day);
      if (options.json) io.out(JSON.stringify(results.map(({ day: d, ok, problems }) => ({ day: d, ok, problems }))));
      else for (const result of results) io.out(result.ok ? `${result.day}  ok` : `${result.day}  FAILED: ${result.problems.join('; ')}`);
      const failed = results.filter((result) => !result.ok).length;
      io.err(`${results.length - failed} of ${results.length} day(s) verified${failed > 0 ? `, ${failed} failed` : ''}\n`);
      return failed > 0 ? 1 : 0;
    }
    const restored = await withCommandDatabase(config.DATABASE_URL, 'archive', (db) =>
      restoreDay(db, store, options.day!, { billingTimeZone: config.CALLPIPE_BILLING_TIME_ZONE }),
    );
    if (options.json) io.out(JSON.stringify(restored));
    else {
      io.out(
        `restored ${restored.day}: ${restored.tables.map((table) => `${table.table} ${table.inserted} of ${table.archived}`).join(', ')} row(s) put back`,
      );
      if (restored.createdPartitions.length > 0) io.out(`  recreated partitions: ${restored.createdPartitions.join(', ')}`);
    }
    return 0;
  });
}

async function verifyDays(store: ObjectStore, only: string | undefined): Promise<DayVerification[]> {
  const days = only === undefined ? (await listArchivedDays(store)).map((entry) => entry.day) : [only];
  const results: DayVerification[] = [];
  for (const d of days) results.push(await verifyDay(store, d));
  return results;
}

function describeDays(days: readonly ArchivedDay[]): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  return days.map((entry) => {
    const rows = Object.entries(entry.rows)
      .map(([table, count]) => `${table} ${n(count)}`)
      .join(', ');
    const size = `${(entry.bytes / 1024).toFixed(1)} KB`;
    return [
      entry.day,
      entry.status.padEnd(10),
      size.padStart(10),
      rows || entry.problem || 'no manifest',
      entry.createdAt ? `archived ${entry.createdAt}` : '',
    ]
      .filter(Boolean)
      .join('  ');
  });
}
