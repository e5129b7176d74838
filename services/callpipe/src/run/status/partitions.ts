import { addDays, partitionStatus, utcDay } from '@callpipe/db';
import { plural, result, type StatusCheck } from './check.ts';

/**
 * The daily partitions from today to CALLPIPE_PARTITIONS_AHEAD_DAYS ahead exist (the worker makes
 * them hourly), and the DEFAULT partitions are empty. A missing partition for today or tomorrow
 * means rows are landing, or will land, in DEFAULT.
 */
export const partitionsCheck: StatusCheck = {
  name: 'partitions',
  needs: ['tables'],
  async run({ postgres, config, now }) {
    const today = utcDay(now);
    const wanted = Array.from({ length: config.CALLPIPE_PARTITIONS_AHEAD_DAYS + 1 }, (_, index) => addDays(today, index));
    const tables = (await partitionStatus(await postgres())).map(({ table, partitions, defaultRows }) => {
      const days = new Set(partitions.map((partition) => partition.day));
      return { table, missing: wanted.filter((day) => !days.has(day)), defaultRows, aheadUntil: partitions.at(-1)?.day ?? null };
    });
    const data = { today, aheadDays: config.CALLPIPE_PARTITIONS_AHEAD_DAYS, tables };
    const urgent = tables.filter((table) => table.missing.some((day) => day <= addDays(today, 1)));
    if (urgent.length > 0)
      return result(
        'action',
        `no partition for today or tomorrow in ${urgent.map((table) => table.table).join(', ')}: rows go to DEFAULT; run \`callpipe partitions maintain\` (is a worker running?)`,
        data,
      );
    const short = tables.filter((table) => table.missing.length > 0);
    const inDefault = tables.filter((table) => table.defaultRows > 0);
    const problems = [
      ...(short.length > 0
        ? [`fewer than ${config.CALLPIPE_PARTITIONS_AHEAD_DAYS} days ahead in ${short.map((table) => table.table).join(', ')}`]
        : []),
      ...inDefault.map((table) => `${plural(table.defaultRows, 'row')} in ${table.table}_default`),
    ];
    if (problems.length > 0) return result('warn', `${problems.join('; ')}: run \`callpipe partitions maintain\``, data);
    return result(
      'ok',
      `${plural(tables.length, 'table')} partitioned up to ${wanted.at(-1)} (${config.CALLPIPE_PARTITIONS_AHEAD_DAYS} days ahead), DEFAULT partitions empty`,
      data,
    );
  },
};
