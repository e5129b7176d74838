import type { CdrFields } from './cdr-fields.ts';
import { businessSources, type Business, type BusinessSource, type BusinessByAppKey } from './types.ts';

/**
 * The FeeInfo `serviceType` codes (the CDR field table of the push spec): 001 is voice playback (voice notification and voice
 * verification alike), 002 is click-to-call.
 */
export const SERVICE_TYPE = { voicePlayback: '001', clickToCall: '002' } as const;

export interface BusinessClaim {
  business: Business;
  source: BusinessSource;
}

/** Higher wins; ties between different businesses are broken by name so the result never depends on order. */
export function claimRank(claim: BusinessClaim): number {
  return businessSources.length - businessSources.indexOf(claim.source);
}

export function strongerClaim(a: BusinessClaim | null, b: BusinessClaim | null): BusinessClaim | null {
  if (a === null) return b;
  if (b === null) return a;
  const byRank = claimRank(a) - claimRank(b);
  if (byRank !== 0) return byRank > 0 ? a : b;
  return a.business >= b.business ? a : b;
}

/**
 * What a CDR alone says about its business. `serviceType` 002 is click-to-call, but 001 covers both
 * notify and verify, so only the configured app-key map can tell those apart.
 */
export function businessFromCdr(fields: CdrFields, businessByAppKey: BusinessByAppKey): BusinessClaim | null {
  const configured = fields.appKey === null ? undefined : businessByAppKey.get(fields.appKey);
  if (configured) return { business: configured, source: 'app_key' };
  if (fields.serviceType === SERVICE_TYPE.clickToCall) return { business: 'click2call', source: 'service_type' };
  if (fields.fwdDstNum !== null || fields.fwdStartTime !== null || fields.fwdAnswerTime !== null) {
    return { business: 'click2call', source: 'forward_leg' };
  }
  if (fields.dynIVRStartTime !== null || fields.dynIVRPath !== null) return { business: 'notify', source: 'dynamic_ivr' };
  return null;
}
