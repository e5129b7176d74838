import { describe, expect, it } from 'vitest';
import { factsFromCdr, factsFromStatusEvent, mergeAllCallFacts } from './call-facts.ts';
import { parsePush } from './push.ts';
import { END_TIME_TOLERANCE_SECONDS, hasStatusEvents, statusCdrDisagreements } from './reconcile.ts';
import type { NormalizeOptions } from './types.ts';

const options: NormalizeOptions = { businessByAppKey: new Map() };
const S = 'session-1';
const A = '+8613800000001';
const B = '+8613900000002';

function factsOf(body: object) {
  const verdict = parsePush(JSON.stringify(body), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return verdict.kind === 'status' ? [factsFromStatusEvent(verdict.event)] : verdict.records.map(factsFromCdr);
}
const status = (eventType: string, statusInfo: object) => factsOf({ eventType, statusInfo: { sessionId: S, ...statusInfo } });
const fee = (record: object) => factsOf({ eventType: 'fee', feeLst: [{ sessionId: S, ...record }] });
const merged = (...facts: ReturnType<typeof factsOf>[]) => mergeAllCallFacts(facts.flat());

const answeredNotify = [
  status('callout', { timestamp: '2024-06-11 03:00:00', called: A }),
  status('alerting', { timestamp: '2024-06-11 03:00:02', called: A }),
  status('answer', { timestamp: '2024-06-11 03:00:05', called: A }),
  status('disconnect', { timestamp: '2024-06-11 03:01:00', called: A, stateCode: 0 }),
];
const answeredCdr = {
  serviceType: '001',
  callOutStartTime: '2024-06-11 03:00:00',
  callOutAnswerTime: '2024-06-11 03:00:05',
  callEndTime: '2024-06-11 03:01:00',
};

describe('statusCdrDisagreements', () => {
  it('when the status events and the CDR tell the same story, then there is no disagreement', () => {
    expect(statusCdrDisagreements(merged(...answeredNotify, fee(answeredCdr)), 'notify')).toEqual([]);
  });

  it('when only one side exists, then nothing is compared', () => {
    expect(statusCdrDisagreements(merged(...answeredNotify), null)).toEqual([]);
    const cdrOnly = merged(fee(answeredCdr));
    expect(hasStatusEvents(cdrOnly)).toBe(false);
    expect(statusCdrDisagreements(cdrOnly, 'notify')).toEqual([]);
  });

  it('when the status events say answered and the CDR has no answer time, then `answered` disagrees', () => {
    const { callOutAnswerTime: _, ...unanswered } = answeredCdr;
    expect(statusCdrDisagreements(merged(...answeredNotify, fee(unanswered)), null)).toEqual([
      { field: 'answered', status: '2024-06-11T03:00:05.000Z', cdr: null },
    ]);
  });

  it('when the CDR says answered and no answer event came, then `answered` disagrees the other way', () => {
    const withoutAnswer = answeredNotify.filter((_, index) => index !== 2);
    expect(statusCdrDisagreements(merged(...withoutAnswer, fee(answeredCdr)), null)).toEqual([
      { field: 'answered', status: null, cdr: '2024-06-11T03:00:05.000Z' },
    ]);
  });

  it('when a click-to-call reached A but never B, then both sides judge B and agree', () => {
    const aOnly = [
      status('callout', { timestamp: '2024-06-11 03:00:00', called: A }),
      status('answer', { timestamp: '2024-06-11 03:00:05', called: A }),
      status('disconnect', { timestamp: '2024-06-11 03:00:40', called: A }),
    ];
    const cdr = fee({ ...answeredCdr, serviceType: '002', fwdDstNum: B, callEndTime: '2024-06-11 03:00:40' });
    expect(statusCdrDisagreements(merged(...aOnly, cdr), 'click2call')).toEqual([]);
  });

  it(`when the disconnect and the CDR's end are more than ${END_TIME_TOLERANCE_SECONDS} s apart, then \`endedAt\` disagrees`, () => {
    const within = fee({ ...answeredCdr, callEndTime: `2024-06-11 03:01:0${END_TIME_TOLERANCE_SECONDS}` });
    expect(statusCdrDisagreements(merged(...answeredNotify, within), null)).toEqual([]);
    const beyond = fee({ ...answeredCdr, callEndTime: `2024-06-11 03:01:0${END_TIME_TOLERANCE_SECONDS + 1}` });
    expect(statusCdrDisagreements(merged(...answeredNotify, beyond), null)).toEqual([
      { field: 'endedAt', status: '2024-06-11T03:01:00.000Z', cdr: `2024-06-11T03:01:0${END_TIME_TOLERANCE_SECONDS + 1}.000Z` },
    ]);
  });

  it("when the status events imply one business and the CDR's claim another, then `business` disagrees", () => {
    const collected = [...answeredNotify, status('collectInfo', { timestamp: '2024-06-11 03:00:30', digitInfo: '1' })];
    expect(statusCdrDisagreements(merged(...collected, fee(answeredCdr)), 'click2call')).toEqual([
      { field: 'business', status: 'notify', cdr: 'click2call' },
    ]);
    expect(statusCdrDisagreements(merged(...collected, fee(answeredCdr)), 'notify')).toEqual([]);
    // Status events alone that imply no business cannot disagree with any.
    expect(statusCdrDisagreements(merged(...answeredNotify, fee(answeredCdr)), 'verify')).toEqual([]);
  });
});
