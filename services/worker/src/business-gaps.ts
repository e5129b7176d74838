import { SERVICE_TYPE, type BusinessByAppKey } from '@callpipe/events';
import type { Logger } from '@callpipe/runtime';
import type { WorkItem } from './work-item.ts';

/** Apps warned about in one process are remembered up to this many, so a flood of app keys cannot grow memory without bound. */
const MAX_WARNED_APPS = 10_000;

/**
 * Notify and verify CDRs look alike (`serviceType` 001): only CALLPIPE_APP_BUSINESS tells them
 * apart, so an app missing there gets calls without a business. Each such CDR is counted, and each
 * app is named once per process, so the operator learns which entry to add.
 */
export function createBusinessGapWatch(
  businessByAppKey: BusinessByAppKey,
  counter: { inc: (value?: number) => void },
  logger: Logger,
): (items: readonly WorkItem[]) => void {
  const warned = new Set<string>();
  return (items) => {
    for (const item of items) {
      if (item.kind !== 'accepted' || item.delivery.push.kind !== 'fee') continue;
      for (const record of item.delivery.push.records) {
        if (record.business !== null || record.fields.serviceType !== SERVICE_TYPE.voicePlayback) continue;
        counter.inc();
        const appKey = record.fields.appKey ?? '(none)';
        if (businessByAppKey.has(appKey) || warned.has(appKey) || warned.size >= MAX_WARNED_APPS) continue;
        warned.add(appKey);
        logger.warn('CDRs of serviceType 001 from an app without a CALLPIPE_APP_BUSINESS entry: their calls get no business', {
          appKey,
          fix: `add ${appKey}=notify or ${appKey}=verify to CALLPIPE_APP_BUSINESS, then \`callpipe reprocess --app-key ${appKey}\``,
        });
      }
    }
  };
}
