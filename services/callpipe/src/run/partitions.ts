import { ensurePartitions, partitionStatus, type PartitionMaintenanceResult, type PartitionStatus } from '@callpipe/db';
import type { Outcome } from '../commands/context.ts';
import type { PartitionsAction } from '../commands/partitions.ts';
import { parseMigrateEnv } from '../env.ts';
import type { archiveSettings } from '@callpipe/worker';
import { archiveOption, withArchiveStore } from './archive-store.ts';
import { withCommandDatabase } from './database.ts';

export type PartitionsConfig = {
  DATABASE_URL: string;
  CALLPIPE_PARTITIONS_AHEAD_DAYS: number;
  CALLPIPE_RETENTION_DAYS: number;
} & Parameters<typeof archiveSettings>[0];

export const partitions = (action: PartitionsAction, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<Outcome> =>
  runPartitions(action, parseMigrateEnv(env), out);

/**
 * `callpipe partitions status` lists each partitioned table's daily partitions with Postgres's row
 * estimates and the rows waiting in its DEFAULT partition; `maintain` runs the maintenance the
 * worker runs every hour (create ahead, move DEFAULT rows, apply the retention) and says what it did.
 */
export async function runPartitions(action: PartitionsAction, config: PartitionsConfig, out: (line: string) => void): Promise<number> {
  return withCommandDatabase(config.DATABASE_URL, 'partitions', async (db) => {
    if (action === 'maintain') {
      const result = await withArchiveStore(config, (store) =>
        ensurePartitions(db, {
          aheadDays: config.CALLPIPE_PARTITIONS_AHEAD_DAYS,
          retentionDays: config.CALLPIPE_RETENTION_DAYS,
          ...archiveOption(db, store),
        }),
      );
      for (const line of describeMaintenance(result, config)) out(line);
      return result.lockTimeout || result.archiveFailed.length > 0 ? 1 : 0;
    }
    for (const line of describeStatus(await partitionStatus(db))) out(line);
    return 0;
  });
}

export function describeStatus(status: readonly PartitionStatus[]): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  return status.flatMap(({ table, partitions, defaultRows }) => [
    `${table}: ${n(partitions.length)} daily partition(s)${partitions.length > 0 ? `, ${partitions[0]!.day} … ${partitions.at(-1)!.day}` : ''}; ${n(defaultRows)} row(s) in ${table}_default${defaultRows > 0 ? ' (run `callpipe partitions maintain` to move them)' : ''}`,
    ...partitions.map(
      (p) => `  ${p.name.padEnd(table.length + 11)}  ~${n(p.rowEstimate).padStart(12)} rows  ${megabytes(p.bytes).padStart(10)}`,
    ),
  ]);
}

function describeMaintenance(result: PartitionMaintenanceResult, config: PartitionsConfig): string[] {
  const lines = [
    `partitions: ${result.created.length} created, ${result.dropped.length} dropped, ${result.callsDeleted} expired calls deleted (ahead ${config.CALLPIPE_PARTITIONS_AHEAD_DAYS} days, ${config.CALLPIPE_RETENTION_DAYS === 0 ? 'kept forever' : `kept ${config.CALLPIPE_RETENTION_DAYS} days`})`,
  ];
  if (result.created.length > 0) lines.push(`  created: ${result.created.join(', ')}`);
  if (result.archived.length > 0) lines.push(`  archived and verified before the drop: ${result.archived.join(', ')}`);
  for (const { day, error } of result.archiveFailed) lines.push(`  kept ${day}: its archive failed: ${error}`);
  if (result.dropped.length > 0) lines.push(`  dropped: ${result.dropped.join(', ')}`);
  for (const { partition, rows } of result.moved) lines.push(`  moved ${rows} row(s) from the DEFAULT partition into ${partition}`);
  if (result.defaultRowsDeleted > 0) lines.push(`  deleted ${result.defaultRowsDeleted} expired row(s) from DEFAULT partitions`);
  if (result.contended) lines.push('  another maintenance run held the lock; it does the rest');
  if (result.lockTimeout)
    lines.push(`  stopped: could not get the table locks in time for "${result.lockTimeout}" (busy tables); run it again`);
  const waiting = Object.entries(result.defaultRows).filter(([, rows]) => rows > 0);
  if (waiting.length > 0)
    lines.push(`  rows still in DEFAULT partitions: ${waiting.map(([table, rows]) => `${table} ${rows}`).join(', ')}`);
  return lines;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
