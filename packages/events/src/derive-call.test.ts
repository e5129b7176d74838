import { describe, expect, it } from 'vitest';
import { factsFromCdr, factsFromStatusEvent, mergeAllCallFacts } from './call-facts.ts';
import { deriveCall } from './derive-call.ts';
import { parsePush } from './push.ts';
import type { NormalizeOptions } from './types.ts';

const options: NormalizeOptions = { businessByAppKey: new Map() };
const S = 'session-1';

function factsOf(body: object) {
  const verdict = parsePush(JSON.stringify(body), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return verdict.kind === 'status' ? [factsFromStatusEvent(verdict.event)] : verdict.records.map(factsFromCdr);
}
const status = (eventType: string, statusInfo: object) => factsOf({ eventType, statusInfo: { sessionId: S, ...statusInfo } });
const fee = (record: object) => factsOf({ eventType: 'fee', feeLst: [{ sessionId: S, ...record }] });
const derive = (...facts: ReturnType<typeof factsOf>[]) => deriveCall(mergeAllCallFacts(facts.flat()));

describe('deriveCall', () => {
  it('when an event carries no called number, then it does not become a second leg', () => {
    const summary = derive(
      status('callout', { timestamp: '2024-06-11 03:00:00', caller: '+8657100000001', called: '+8613800000001' }),
      status('alerting', { timestamp: '2024-06-11 03:00:02' }),
      status('answer', { timestamp: '2024-06-11 03:00:05', called: '+8613800000001' }),
      fee({
        serviceType: '001',
        callOutStartTime: '2024-06-11 03:00:00',
        callOutAnswerTime: '2024-06-11 03:00:05',
        callEndTime: '2024-06-11 03:01:00',
      }),
    );
    expect(summary).toMatchObject({
      business: null,
      outcome: 'answered',
      legCount: 1,
      ringingAt: '2024-06-11T03:00:02.000Z',
      talkSeconds: 55,
    });
  });

  it('when only status events without called arrived, then their times still describe the single leg', () => {
    const summary = derive(
      status('alerting', { timestamp: '2024-06-11 03:00:02' }),
      status('answer', { timestamp: '2024-06-11 03:00:05' }),
    );
    expect(summary).toMatchObject({
      state: 'answered',
      ringingAt: '2024-06-11T03:00:02.000Z',
      answeredAt: '2024-06-11T03:00:05.000Z',
      legCount: 1,
    });
  });

  it('when two legs were seen but the CDR says voice playback (001), then it is not click-to-call', () => {
    const summary = derive(
      status('callout', { timestamp: '2024-06-11 03:00:00', called: '+8613800000001' }),
      status('callout', { timestamp: '2024-06-11 03:00:09', called: '+8613800000002' }),
      fee({ serviceType: '001', callEndTime: '2024-06-11 03:01:00' }),
    );
    expect(summary.business).toBeNull();
  });

  it('when two legs were seen and no CDR yet, then it is click-to-call from its two legs', () => {
    const summary = derive(
      status('callout', { timestamp: '2024-06-11 03:00:00', called: '+8613800000001' }),
      status('callout', { timestamp: '2024-06-11 03:00:09', called: '+8613800000002' }),
    );
    expect(summary).toMatchObject({
      business: 'click2call',
      businessSource: 'two_legs',
      calledNumber: '+8613800000001',
      forwardedNumber: '+8613800000002',
    });
  });

  it.each([
    [{ ulFailReason: 522 }, undefined, 'failed'],
    [{ ulFailReason: 2837 }, undefined, 'failed'],
    [{ ulFailReason: 518, sipStatusCode: 480 }, 7109, 'unanswered'],
    [{ ulFailReason: 514 }, undefined, 'unanswered'],
    [undefined, 7001, 'failed'],
    [undefined, 8104, 'unanswered'],
  ])('when the CDR says %j and the disconnect stateCode is %s, then the outcome is %s', (cdr, stateCode, outcome) => {
    const facts = [
      ...(stateCode === undefined ? [] : [status('disconnect', { timestamp: '2024-06-11 03:00:09', stateCode })]),
      ...(cdr === undefined ? [] : [fee({ callEndTime: '2024-06-11 03:00:09', failTime: '2024-06-11 03:00:09', ...cdr })]),
    ];
    expect(derive(...facts).outcome).toBe(outcome);
  });

  it('describes the hang-up code and the disconnect point from the code tables', () => {
    const summary = derive(
      status('disconnect', { timestamp: '2024-06-11 03:00:09', stateCode: 8104 }),
      fee({ ulFailReason: 518, callEndTime: '2024-06-11 03:00:09' }),
    );
    expect(summary.stateCodeDesc).toBe('Callee powered off');
    expect(summary.failReasonDesc).toMatch(/Remote user call failed/);
  });

  it('when two versions of a CDR exist, then the fuller one wins in either order', () => {
    const thin = fee({ callEndTime: '2024-06-11 03:01:00' });
    const full = fee({ callEndTime: '2024-06-11 03:01:00', callOutAnswerTime: '2024-06-11 03:00:05', appKey: 'k' });
    expect(derive(thin, full)).toEqual(derive(full, thin));
    expect(derive(thin, full)).toMatchObject({ appKey: 'k', answeredAt: '2024-06-11T03:00:05.000Z' });
  });
});
