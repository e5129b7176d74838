import { summarizeRecordings } from '@callpipe/db';
import { plural, result, seconds, type StatusCheck } from './check.ts';

/** The alert's margin (CallpipeRecordingsNearExpiry): less than a day before the platform deletes a pending recording. */
const NEAR_EXPIRY_SECONDS = 86_400;

export const recordingsCheck: StatusCheck = {
  name: 'recordings',
  needs: ['tables'],
  async run({ postgres }) {
    const summary = await summarizeRecordings(await postgres());
    const { pending, failed, expired } = summary.byStatus;
    const soonest = summary.soonestPendingExpirySeconds;
    const data = { ...summary };
    if (soonest !== null && soonest < NEAR_EXPIRY_SECONDS)
      return result(
        'action',
        `${plural(pending, 'recording')} pending, the first deleted by the platform in ${seconds(Math.max(0, soonest))}; \`callpipe recordings status\` says why, \`callpipe recordings fetch\` retries now`,
        data,
      );
    if (failed + expired > 0)
      return result(
        'warn',
        `${plural(failed, 'recording')} failed and ${expired} expired; \`callpipe recordings status\` lists the reasons`,
        data,
      );
    return result('ok', `${plural(summary.byStatus.stored, 'recording')} stored, ${pending} pending`, data);
  },
};
