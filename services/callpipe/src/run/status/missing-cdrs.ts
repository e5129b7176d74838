import { countMissingCdrsByApp, DEFAULT_CDR_HORIZON_MS } from '@callpipe/db';
import { plural, result, type StatusCheck } from './check.ts';

/** As the worker's gauge: calls that ended past the horizon, up to a week ago, still without a CDR. */
const LOOKBACK_MS = 7 * 86_400_000;

export const missingCdrsCheck: StatusCheck = {
  name: 'missing-cdrs',
  needs: ['tables'],
  async run({ postgres, now }) {
    const endedBefore = new Date(now.getTime() - DEFAULT_CDR_HORIZON_MS);
    const apps = await countMissingCdrsByApp(await postgres(), new Date(now.getTime() - LOOKBACK_MS), endedBefore);
    const total = apps.reduce((sum, app) => sum + app.calls, 0);
    const data = { total, horizonHours: DEFAULT_CDR_HORIZON_MS / 3_600_000, apps };
    if (total === 0) return result('ok', 'every call that ended more than 7 h ago (in the last 7 days) has its CDR', data);
    return result(
      'action',
      `${plural(total, 'call')} ended more than 7 h ago without a CDR: the platform no longer re-pushes them; \`callpipe reconcile --from <day> --to <day> --format csv\` lists them for Huawei support`,
      data,
    );
  },
};
