import { execFileSync } from 'node:child_process';

/**
 * The schema as `pg_dump --schema-only` prints it, without the lines that vary between runs and
 * versions (comments, SET, ownership), and without the migration bookkeeping tables.
 */
export function dumpSchema(databaseUrl: string): string {
  const raw = execFileSync(
    'pg_dump',
    ['--schema-only', '--no-owner', '--no-privileges', '--exclude-table=kysely_migration*', databaseUrl],
    { encoding: 'utf8' },
  );
  return normalizeSchemaDump(raw);
}

export function normalizeSchemaDump(raw: string): string {
  return (
    raw
      .split('\n')
      .filter((line) => !line.startsWith('--') && !/^SET |^SELECT pg_catalog\.set_config|^\\(un)?restrict /.test(line))
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}
