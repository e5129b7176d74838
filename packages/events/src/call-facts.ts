import { strongerClaim, type BusinessClaim } from './business.ts';
import { canonicalJson } from './canonical.ts';
import type { CdrRecord } from './cdr-record.ts';
import { supersedesCdr } from './cdr-precedence.ts';
import type { StatusEvent } from './types.ts';

/**
 * Everything known about one call, shaped as a join-semilattice: every field merges by min, max,
 * union or a total order on content. `mergeCallFacts` is therefore commutative, associative and
 * idempotent, so the merged facts — and the `calls` row derived from them — are the same for any
 * arrival order and any number of redeliveries. The facts are plain JSON so they can live in a
 * jsonb column and be merged again by the next worker that touches the call.
 */
export interface CallFacts {
  sessionId: string;
  /** One entry per leg, identified by the number the platform called on it, sorted by that number. */
  legs: LegFacts[];
  disconnect: DisconnectFacts | null;
  collect: CollectFacts | null;
  userData: string | null;
  business: BusinessClaim | null;
  cdr: CdrFacts | null;
}

export interface LegFacts {
  called: string;
  caller: string | null;
  calloutAt: string | null;
  alertingAt: string | null;
  answerAt: string | null;
}

export interface DisconnectFacts {
  at: string | null;
  stateCode: number | null;
  stateDesc: string | null;
  caller: string | null;
  called: string | null;
  partyType: number | null;
}

export interface CollectFacts {
  at: string | null;
  digits: string | null;
}

/** The parts of the CDR the call summary needs; the full record lives in `cdrs`. */
export interface CdrFacts {
  recordKey: string;
  /** Fields set in the record: of two versions of one call's CDR the fuller one wins. */
  fieldCount: number;
  serviceType: string | null;
  appKey: string | null;
  callerNum: string | null;
  calleeNum: string | null;
  fwdDstNum: string | null;
  callOutStartTime: string | null;
  callOutAlertingTime: string | null;
  callOutAnswerTime: string | null;
  fwdAlertingTime: string | null;
  fwdAnswerTime: string | null;
  callEndTime: string | null;
  failTime: string | null;
  ulFailReason: number | null;
}

export function emptyCallFacts(sessionId: string): CallFacts {
  return { sessionId, legs: [], disconnect: null, collect: null, userData: null, business: null, cdr: null };
}

export function factsFromStatusEvent(event: StatusEvent): CallFacts {
  const facts = emptyCallFacts(event.sessionId);
  if (!event.known) return facts;
  facts.userData = event.userData;
  switch (event.eventType) {
    case 'callout':
    case 'alerting':
    case 'answer': {
      facts.legs = [
        {
          called: event.called ?? '',
          caller: event.caller,
          calloutAt: event.eventType === 'callout' ? event.eventAt : null,
          alertingAt: event.eventType === 'alerting' ? event.eventAt : null,
          answerAt: event.eventType === 'answer' ? event.eventAt : null,
        },
      ];
      break;
    }
    case 'collectInfo':
      facts.collect = { at: event.eventAt, digits: event.digitInfo };
      facts.business = { business: 'notify', source: 'collect_info' };
      break;
    case 'disconnect':
      facts.disconnect = {
        at: event.eventAt,
        stateCode: event.stateCode,
        stateDesc: event.stateDesc,
        caller: event.caller,
        called: event.called,
        partyType: event.partyType,
      };
      break;
  }
  return facts;
}

export function factsFromCdr(cdr: CdrRecord): CallFacts {
  const facts = emptyCallFacts(cdr.sessionId);
  const f = cdr.fields;
  facts.userData = f.userData;
  facts.business = cdr.business;
  facts.cdr = {
    recordKey: cdr.recordKey,
    fieldCount: cdr.fieldCount,
    serviceType: f.serviceType,
    appKey: f.appKey,
    callerNum: f.callerNum,
    calleeNum: f.calleeNum,
    fwdDstNum: f.fwdDstNum,
    callOutStartTime: f.callOutStartTime,
    callOutAlertingTime: f.callOutAlertingTime,
    callOutAnswerTime: f.callOutAnswerTime,
    fwdAlertingTime: f.fwdAlertingTime,
    fwdAnswerTime: f.fwdAnswerTime,
    callEndTime: f.callEndTime,
    failTime: f.failTime,
    ulFailReason: f.ulFailReason,
  };
  return facts;
}

export function mergeCallFacts(a: CallFacts, b: CallFacts): CallFacts {
  if (a.sessionId !== b.sessionId) throw new Error(`cannot merge facts of ${a.sessionId} with facts of ${b.sessionId}`);
  return {
    sessionId: a.sessionId,
    legs: mergeLegs(a.legs, b.legs),
    disconnect: greatest(a.disconnect, b.disconnect, (d) => [d.at ?? '', canonicalJson(d)]),
    collect: greatest(a.collect, b.collect, (c) => [c.at ?? '', canonicalJson(c)]),
    userData: maxOf(a.userData, b.userData),
    business: strongerClaim(a.business, b.business),
    // Two versions of one call's CDR resolve by the rule `cdrs` applies too, so both tables agree
    // whatever the order.
    cdr: keptCdr(a.cdr, b.cdr),
  };
}

export function mergeAllCallFacts(facts: readonly CallFacts[]): CallFacts {
  const [first, ...rest] = facts;
  if (!first) throw new Error('mergeAllCallFacts needs at least one element');
  return rest.reduce(mergeCallFacts, first);
}

function mergeLegs(a: readonly LegFacts[], b: readonly LegFacts[]): LegFacts[] {
  const byCalled = new Map<string, LegFacts>();
  for (const leg of [...a, ...b]) {
    const existing = byCalled.get(leg.called);
    byCalled.set(leg.called, existing ? mergeLeg(existing, leg) : leg);
  }
  return [...byCalled.values()].sort((x, y) => (x.called < y.called ? -1 : x.called > y.called ? 1 : 0));
}

function mergeLeg(a: LegFacts, b: LegFacts): LegFacts {
  return {
    called: a.called,
    caller: minOf(a.caller, b.caller),
    calloutAt: minOf(a.calloutAt, b.calloutAt),
    alertingAt: minOf(a.alertingAt, b.alertingAt),
    answerAt: minOf(a.answerAt, b.answerAt),
  };
}

export function minOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}

export function maxOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

function keptCdr(a: CdrFacts | null, b: CdrFacts | null): CdrFacts | null {
  if (a === null) return b;
  if (b === null) return a;
  return supersedesCdr(b, a) ? b : a;
}

function greatest<T>(a: T | null, b: T | null, key: (value: T) => string[]): T | null {
  if (a === null) return b;
  if (b === null) return a;
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i += 1) {
    if (ka[i]! > kb[i]!) return a;
    if (ka[i]! < kb[i]!) return b;
  }
  return a;
}
