import type { CallFacts } from './call-facts.ts';
import { deriveCall } from './derive-call.ts';
import type { Business } from './types.ts';

/**
 * Status events and the CDR describe the same call from two sides. Where they disagree, one of them
 * is wrong (a lost status push, a platform fault) and billing follows the CDR: these checks say where.
 */

/** The largest difference between the disconnect event's time and the CDR's end time that is not a disagreement. */
export const END_TIME_TOLERANCE_SECONDS = 5;

export const disagreementFields = ['answered', 'endedAt', 'business'] as const;
export type DisagreementField = (typeof disagreementFields)[number];

export interface Disagreement {
  field: DisagreementField;
  /** What the status events say: the answer time (null = not answered), the disconnect time, or the business. */
  status: string | null;
  /** What the CDR says, in the same terms. */
  cdr: string | null;
}

/** Whether the call has any status event of a known kind (callout, alerting, answer, collectInfo, disconnect). */
export function hasStatusEvents(facts: CallFacts): boolean {
  return facts.legs.length > 0 || facts.disconnect !== null || facts.collect !== null;
}

/**
 * Where the call's status events and its CDR disagree, checked only when both exist:
 * - `answered`: one side says the call was connected and the other does not (the completing leg:
 *   B for click-to-call). Checked when a callout, alerting or answer event was seen.
 * - `endedAt`: the disconnect event and the CDR's `callEndTime` (or `failTime`) are more than
 *   END_TIME_TOLERANCE_SECONDS apart.
 * - `business`: the status events imply one business (collectInfo → notify, two legs → click2call)
 *   and the CDR's own claim (`cdrs.business`) another.
 * Each side is derived by the one model (deriveCall) from its own facts, with the call's merged
 * business, so that a click-to-call whose B leg never rang is judged on B by both sides.
 */
export function statusCdrDisagreements(facts: CallFacts, cdrBusiness: Business | null): Disagreement[] {
  const cdr = facts.cdr;
  if (cdr === null || !hasStatusEvents(facts)) return [];
  const disagreements: Disagreement[] = [];

  if (facts.legs.length > 0) {
    const statusAnswer = deriveCall({ ...facts, cdr: null }).answeredAt;
    const cdrAnswer = deriveCall({ ...facts, legs: [], disconnect: null, collect: null }).answeredAt;
    if ((statusAnswer === null) !== (cdrAnswer === null)) disagreements.push({ field: 'answered', status: statusAnswer, cdr: cdrAnswer });
  }

  const statusEnd = facts.disconnect?.at ?? null;
  const cdrEnd = cdr.callEndTime ?? cdr.failTime;
  if (statusEnd !== null && cdrEnd !== null && Math.abs(Date.parse(statusEnd) - Date.parse(cdrEnd)) > END_TIME_TOLERANCE_SECONDS * 1_000)
    disagreements.push({ field: 'endedAt', status: statusEnd, cdr: cdrEnd });

  const statusClaim = facts.collect !== null ? ({ business: 'notify', source: 'collect_info' } as const) : null;
  const statusBusiness = deriveCall({ ...facts, cdr: null, business: statusClaim }).business;
  if (statusBusiness !== null && cdrBusiness !== null && statusBusiness !== cdrBusiness)
    disagreements.push({ field: 'business', status: statusBusiness, cdr: cdrBusiness });

  return disagreements;
}
