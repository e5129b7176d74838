import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inspectSpool } from '@callpipe/ingest';
import { errorCode } from '@callpipe/runtime';
import { plural, result, type StatusCheck } from './check.ts';

/**
 * The ingest's disk spool on this machine (INGEST_SPOOL_DIR): pushes waiting for Redis, and
 * damaged records, which are probably acked pushes that need a person. Run status where an ingest
 * runs to see its spool; elsewhere the directory usually does not exist.
 */
export const spoolCheck: StatusCheck = {
  name: 'spool',
  needs: [],
  async run({ config }) {
    const dir = resolve(config.INGEST_SPOOL_DIR);
    try {
      await stat(dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return result('ok', `no spool on this machine (${dir} does not exist)`, { dir, exists: false });
      throw error;
    }
    const report = await inspectSpool(dir);
    const data = {
      dir,
      exists: true,
      records: report.records,
      bytes: report.bytes,
      badRecords: report.badRecords,
      quarantined: report.quarantined,
    };
    const holding = `${plural(report.records, 'record')}, ${plural(report.bytes, 'byte')} in ${dir}`;
    if (report.quarantined > 0 || report.badRecords > 0)
      return result(
        'action',
        `${holding}; ${plural(report.badRecords, 'damaged record')}, ${report.quarantined} quarantined: probably acked pushes not in Postgres (RUNBOOK.md, CallpipeSpoolQuarantined; \`callpipe spool verify\`)`,
        data,
      );
    if (report.records > 0) return result('warn', `${holding}: acked pushes waiting for Redis (the ingest drains them)`, data);
    return result('ok', `empty (${dir})`, data);
  },
};
