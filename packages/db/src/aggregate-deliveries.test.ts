import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { factsFromCdr, factsFromStatusEvent, mergeAllCallFacts, parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type FeeRecord, type Push } from '@callpipe/fixtures';
import { aggregateDeliveries, distinctDeliveries } from './aggregate-deliveries.ts';
import { acceptedDelivery, type AcceptedDelivery } from './deliveries.ts';

const options = { businessByAppKey: demoBusinessByAppKey };

function deliveryOf(push: Push, receivedAt: string, deliveryId: string = randomUUID()): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId, source: 'test', receivedAt }, verdict);
}

const [call] = generateCalls(3, 1, { lossProbability: 0 });
// The same CDR without its last field: a version with fewer fields set.
const thinnerCdr: FeeRecord = Object.fromEntries(Object.entries(call!.cdr).slice(0, -1));
const fullPush: Push = { eventType: 'fee', feeLst: [call!.cdr] };
const thinPush: Push = { eventType: 'fee', feeLst: [thinnerCdr] };

describe('aggregateDeliveries', () => {
  it('when an event is delivered twice, then it is one row counted twice, from the first to the last receive time', () => {
    const event = call!.statusPushes[0]!;
    const batch = aggregateDeliveries([
      deliveryOf(event, '2024-06-11T05:00:00.000Z'),
      deliveryOf(event, '2024-06-11T03:00:00.000Z'),
      deliveryOf(event, '2024-06-11T04:00:00.000Z'),
    ]);
    expect(batch.events).toHaveLength(1);
    expect(batch.events[0]).toMatchObject({
      count: 3,
      firstReceivedAt: '2024-06-11T03:00:00.000Z',
      lastReceivedAt: '2024-06-11T05:00:00.000Z',
    });
  });

  it('when two versions of a call CDR arrive, then the fuller one is kept whichever came first', () => {
    expect(Object.keys(thinnerCdr).length).toBeLessThan(Object.keys(call!.cdr).length);
    for (const pushes of [
      [fullPush, thinPush],
      [thinPush, fullPush],
    ]) {
      const batch = aggregateDeliveries(pushes.map((push) => deliveryOf(push, '2024-06-11T03:00:00.000Z')));
      expect(batch.cdrs).toHaveLength(1);
      expect(batch.cdrs[0]!.count).toBe(2);
      expect(batch.cdrs[0]!.item.record).toEqual(call!.cdr);
    }
  });

  it('when a call arrives over several days, then its facts are merged and its first day is the earliest receive day', () => {
    const deliveries = [
      ...call!.statusPushes.map((push, index) => deliveryOf(push, `2024-06-1${2 + (index % 2)}T23:59:00.000Z`)),
      deliveryOf(fullPush, '2024-06-11T00:00:01.000Z'),
    ];
    const batch = aggregateDeliveries(deliveries);
    const expected = mergeAllCallFacts(
      deliveries.flatMap((delivery) =>
        delivery.push.kind === 'status' ? [factsFromStatusEvent(delivery.push.event)] : delivery.push.records.map(factsFromCdr),
      ),
    );
    expect(batch.facts).toEqual(new Map([[call!.sessionId, expected]]));
    expect(batch.firstDays).toEqual(new Map([[call!.sessionId, '2024-06-11']]));
  });

  it('when a CDR push carries a rejected record, then the record is kept with the delivery that carried it', () => {
    const delivery = deliveryOf({ eventType: 'fee', feeLst: [call!.cdr, 'not a record'] } as never, '2024-06-11T03:00:00.000Z');
    const batch = aggregateDeliveries([delivery]);
    expect(batch.rejected).toHaveLength(1);
    expect(batch.rejected[0]!.delivery).toBe(delivery);
    expect(batch.rejected[0]!.rejected).toMatchObject({ index: 1, record: 'not a record' });
    expect(batch.cdrs).toHaveLength(1);
  });
});

describe('distinctDeliveries', () => {
  it('when a delivery id appears twice in a batch, then it is kept once', () => {
    const id = randomUUID();
    const first = deliveryOf(fullPush, '2024-06-11T03:00:00.000Z', id);
    const other = deliveryOf(thinPush, '2024-06-11T03:00:00.000Z');
    expect(distinctDeliveries([first, other, deliveryOf(fullPush, '2024-06-11T03:00:00.000Z', id)]).map((d) => d.deliveryId)).toEqual([
      id,
      other.deliveryId,
    ]);
  });
});
