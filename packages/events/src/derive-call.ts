import type { BusinessSource, Business } from './types.ts';
import type { CallFacts, LegFacts } from './call-facts.ts';
import { minOf } from './call-facts.ts';
import { SERVICE_TYPE, strongerClaim } from './business.ts';
import { describeFailReason, describeStateCode } from './codes/index.ts';
import { isPlatformFailReason, isPlatformStateCode } from './outcome.ts';
import { secondsBetween } from './time.ts';

export const callStates = ['unknown', 'dialing', 'ringing', 'answered', 'ended'] as const;
/** Furthest point the call reached: a callout was seen, something rang, it got connected, it ended. */
export type CallState = (typeof callStates)[number];

export const callOutcomes = ['in_progress', 'answered', 'unanswered', 'failed'] as const;
export type CallOutcome = (typeof callOutcomes)[number];

/** The `calls` row: a pure function of the merged facts, so it inherits their order independence. */
export interface CallSummary {
  sessionId: string;
  business: Business | null;
  businessSource: BusinessSource | null;
  appKey: string | null;
  state: CallState;
  outcome: CallOutcome;
  /** Number shown to the first callee (the SP's display number). */
  callerNumber: string | null;
  /** First leg's callee: the user for notify/verify, party A for click-to-call. */
  calledNumber: string | null;
  /** Party B of a click-to-call. */
  forwardedNumber: string | null;
  startedAt: string | null;
  ringingAt: string | null;
  /** When the call was connected: the user answered, or B answered for click-to-call. */
  answeredAt: string | null;
  endedAt: string | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  stateCode: number | null;
  /** The platform's own text for the hang-up code, as received. */
  stateDesc: string | null;
  /** Our description of `stateCode` from the code table. */
  stateCodeDesc: string | null;
  /** The CDR's `ulFailReason` (disconnect point). */
  failReason: number | null;
  failReasonDesc: string | null;
  collectedDigits: string | null;
  userData: string | null;
  hasCdr: boolean;
  legCount: number;
}

export function deriveCall(facts: CallFacts): CallSummary {
  const cdr = facts.cdr;
  // Events without a `called` number cannot be told apart by leg; they only ever count towards the
  // first leg, and never make a second one.
  const namedLegs = facts.legs.filter((leg) => leg.called !== '');
  const unnamedLeg = facts.legs.find((leg) => leg.called === '');
  // Two legs mean click-to-call, unless the CDR says voice playback (serviceType 001).
  const twoLegs = namedLegs.length >= 2 && cdr?.serviceType !== SERVICE_TYPE.voicePlayback;
  const claim = strongerClaim(facts.business, twoLegs ? { business: 'click2call', source: 'two_legs' } : null);
  const business = claim?.business ?? null;
  const isClickToCall = business === 'click2call';
  const [firstNamed, secondLeg] = legsInCallOrder(namedLegs);
  const firstLeg = mergeUnnamed(firstNamed, isClickToCall && secondLeg ? undefined : unnamedLeg);

  const completingLeg = isClickToCall ? secondLeg : firstLeg;
  const ringingAt = (isClickToCall ? cdr?.fwdAlertingTime : cdr?.callOutAlertingTime) ?? completingLeg?.alertingAt ?? null;
  const answeredAt = (isClickToCall ? cdr?.fwdAnswerTime : cdr?.callOutAnswerTime) ?? completingLeg?.answerAt ?? null;
  const endedAt = cdr?.callEndTime ?? facts.disconnect?.at ?? cdr?.failTime ?? null;
  const startedAt = cdr?.callOutStartTime ?? firstLeg?.calloutAt ?? earliestStatusTime(facts);

  const ended = facts.disconnect !== null || cdr !== null;
  const state: CallState = ended
    ? 'ended'
    : answeredAt !== null
      ? 'answered'
      : facts.legs.some((leg) => leg.alertingAt !== null || leg.answerAt !== null)
        ? 'ringing'
        : facts.legs.length > 0 || facts.collect !== null
          ? 'dialing'
          : 'unknown';

  const stateCode = facts.disconnect?.stateCode ?? null;
  const failReason = cdr?.ulFailReason ?? null;
  // The CDR is the billing truth and always arrives eventually; the disconnect may be lost.
  const platformFailed = failReason !== null ? isPlatformFailReason(failReason) : isPlatformStateCode(stateCode);
  const outcome: CallOutcome = !ended ? 'in_progress' : answeredAt !== null ? 'answered' : platformFailed ? 'failed' : 'unanswered';

  return {
    sessionId: facts.sessionId,
    business,
    businessSource: claim?.source ?? null,
    appKey: cdr?.appKey ?? null,
    state,
    outcome,
    callerNumber: cdr?.callerNum ?? firstLeg?.caller ?? null,
    calledNumber: cdr?.calleeNum ?? nonEmpty(firstLeg?.called),
    forwardedNumber: cdr?.fwdDstNum ?? (isClickToCall ? nonEmpty(secondLeg?.called) : null),
    startedAt,
    ringingAt,
    answeredAt,
    endedAt,
    ringSeconds: nonNegative(secondsBetween(ringingAt, answeredAt ?? endedAt)),
    talkSeconds: nonNegative(secondsBetween(answeredAt, endedAt)),
    stateCode,
    stateDesc: facts.disconnect?.stateDesc ?? null,
    stateCodeDesc: stateCode === null ? null : describeStateCode(stateCode),
    failReason,
    failReasonDesc: failReason === null ? null : describeFailReason(failReason),
    collectedDigits: facts.collect?.digits ?? null,
    userData: facts.userData,
    hasCdr: cdr !== null,
    legCount: Math.max(namedLegs.length || (unnamedLeg ? 1 : 0), cdr === null ? 0 : cdr.fwdDstNum !== null ? 2 : 1),
  };
}

/** The platform dials A first and B only after A answered, so the leg seen first is A. */
function legsInCallOrder(legs: readonly LegFacts[]): LegFacts[] {
  const firstSeen = (leg: LegFacts) => minOf(minOf(leg.calloutAt, leg.alertingAt), leg.answerAt) ?? '\uffff';
  return [...legs].sort((a, b) => {
    const [ka, kb] = [firstSeen(a) + '|' + a.called, firstSeen(b) + '|' + b.called];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function mergeUnnamed(leg: LegFacts | undefined, unnamed: LegFacts | undefined): LegFacts | undefined {
  if (!unnamed) return leg;
  if (!leg) return unnamed;
  return {
    called: leg.called,
    caller: leg.caller ?? unnamed.caller,
    calloutAt: minOf(leg.calloutAt, unnamed.calloutAt),
    alertingAt: minOf(leg.alertingAt, unnamed.alertingAt),
    answerAt: minOf(leg.answerAt, unnamed.answerAt),
  };
}

function earliestStatusTime(facts: CallFacts): string | null {
  let earliest: string | null = null;
  for (const leg of facts.legs) earliest = minOf(earliest, minOf(minOf(leg.calloutAt, leg.alertingAt), leg.answerAt));
  return minOf(minOf(earliest, facts.collect?.at ?? null), facts.disconnect?.at ?? null);
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function nonNegative(seconds: number | null): number | null {
  return seconds === null ? null : Math.max(0, seconds);
}
