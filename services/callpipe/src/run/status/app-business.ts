import { addDays, appsOfServiceType, utcDay } from '@callpipe/db';
import { SERVICE_TYPE } from '@callpipe/events';
import { plural, result, type StatusCheck } from './check.ts';

/** How far back CDRs are looked at: recent partitions only, and enough to have seen every active app. */
const LOOKBACK_DAYS = 7;

/**
 * Apps whose recent CDRs are of serviceType 001 (notify or verify, which look alike) but that
 * CALLPIPE_APP_BUSINESS does not name: their calls get no business (the worker counts them in
 * callpipe_worker_calls_without_business_total).
 */
export const appBusinessCheck: StatusCheck = {
  name: 'app-business',
  needs: ['tables'],
  async run({ postgres, config, now }) {
    const since = addDays(utcDay(now), -LOOKBACK_DAYS);
    const apps = await appsOfServiceType(await postgres(), SERVICE_TYPE.voicePlayback, since);
    const unmapped = apps.filter((app) => app.appKey === null || !config.CALLPIPE_APP_BUSINESS.has(app.appKey));
    const data = { since, unmapped };
    if (unmapped.length === 0)
      return result(
        'ok',
        `every app with serviceType 001 CDRs since ${since} is in CALLPIPE_APP_BUSINESS (${plural(apps.length, 'app')})`,
        data,
      );
    const names = unmapped.map((app) => `${app.appKey ?? '(no appKey)'} (${plural(app.cdrs, 'CDR')})`).join(', ');
    return result(
      'warn',
      `serviceType 001 CDRs since ${since} from apps not in CALLPIPE_APP_BUSINESS, so their calls have no business: ${names}; add appKey=notify|verify, then \`callpipe reprocess --app-key K\``,
      data,
    );
  },
};
