import { migrationStatus, type MigrationStatus } from '@callpipe/db';
import type { CliIo, Outcome } from '../commands/context.ts';
import { parseMigrateEnv } from '../env.ts';
import { withCommandDatabase } from './database.ts';

export const migrateStatus = (flags: { json?: true }, env: NodeJS.ProcessEnv, io: Pick<CliIo, 'out'>): Promise<Outcome> =>
  runMigrateStatus(parseMigrateEnv(env).DATABASE_URL, flags.json === true, io);

/** `callpipe migrate status`: read-only, takes no migration lock; exit 1 while migrations are pending. */
export async function runMigrateStatus(databaseUrl: string, json: boolean, io: Pick<CliIo, 'out'>): Promise<number> {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  const status = await withCommandDatabase(databaseUrl, 'migrate-status', migrationStatus);
  if (json) io.out(JSON.stringify({ database, ...status }));
  else for (const line of describeMigrations(database, status)) io.out(line);
  return status.pending.length > 0 ? 1 : 0;
}

export function describeMigrations(database: string, status: MigrationStatus): string[] {
  const width = Math.max(0, ...[...status.applied.map((m) => m.name), ...status.pending, ...status.unknown].map((name) => name.length));
  return [
    `database ${database}: ${status.applied.length} migration(s) applied, ${status.pending.length} pending${status.unknown.length > 0 ? `, ${status.unknown.length} unknown to this version` : ''}`,
    ...status.applied.map((m) => `  ${m.name.padEnd(width)}  applied ${m.executedAt}`),
    ...status.pending.map((name) => `  ${name.padEnd(width)}  pending`),
    ...status.unknown.map((name) => `  ${name.padEnd(width)}  applied by a newer callpipe`),
    ...(status.pending.length > 0 ? ['run `callpipe migrate` to apply the pending ones'] : []),
  ];
}
