import { migrationStatus } from '@callpipe/db';
import { plural, result, type StatusCheck } from './check.ts';

export const migrationsCheck: StatusCheck = {
  name: 'migrations',
  needs: ['postgres'],
  async run({ postgres }) {
    const status = await migrationStatus(await postgres());
    const data = { applied: status.applied.map((m) => m.name), pending: status.pending, unknown: status.unknown };
    if (status.pending.length > 0)
      return result(
        'action',
        `${plural(status.pending.length, 'migration')} pending (${status.pending.join(', ')}): run \`callpipe migrate\``,
        data,
      );
    if (status.unknown.length > 0)
      return result('warn', `applied by a newer callpipe: ${status.unknown.join(', ')}; this version is older than the schema`, data);
    return result(
      'ok',
      `${plural(status.applied.length, 'migration')} applied, none pending (latest ${status.applied.at(-1)?.name ?? '-'})`,
      data,
    );
  },
};
