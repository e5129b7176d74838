import { describe, expect, it } from 'vitest';
import { demoBusinessByAppKey, generateCalls } from '@callpipe/fixtures';
import type { Item } from './items.ts';
import { prepareItem } from './prepare-item.ts';

const context = {
  source: 'replay:test.jsonl',
  receivedAt: '2024-06-11T05:00:00.000Z',
  options: { businessByAppKey: demoBusinessByAppKey },
};
const [call, other] = generateCalls(11, 2);
const json = (value: unknown, position = 3): Item => ({
  kind: 'json',
  position,
  location: `line ${position}`,
  bytes: Buffer.from(JSON.stringify(value)),
});

describe('prepareItem', () => {
  it('when the item is a status push body, then it is one delivery with one event', () => {
    const prepared = prepareItem(json(call!.statusPushes[0]), context);
    expect(prepared.delivery).toMatchObject({ source: 'replay:test.jsonl', receivedAt: context.receivedAt, push: { kind: 'status' } });
    expect(prepared.entries).toEqual([expect.objectContaining({ status: 'valid', kind: 'event', location: 'line 3' })]);
  });

  it('when the item is a bare CDR record, then it is wrapped as a one-record fee push, like the platform would send it', () => {
    const prepared = prepareItem(json(call!.cdr), context);
    expect(prepared.delivery?.push).toMatchObject({
      kind: 'fee',
      records: [{ sessionId: call!.sessionId, record: call!.cdr }],
      rejectedRecords: [],
    });
    expect(prepared.entries).toEqual([expect.objectContaining({ status: 'valid', kind: 'cdr', location: 'line 3' })]);
  });

  it('when the same item is prepared twice, then its delivery id is the same; at another position it differs', () => {
    const first = prepareItem(json(call!.cdr), context).delivery!.deliveryId;
    expect(prepareItem(json(call!.cdr), context).delivery!.deliveryId).toBe(first);
    expect(prepareItem(json(call!.cdr, 4), context).delivery!.deliveryId).not.toBe(first);
  });

  it('when a fee push holds a record without a session id among good ones, then the good ones are a delivery and the bad one is located by its record number', () => {
    const push = { eventType: 'fee', feeLst: [call!.cdr, { ...other!.cdr, sessionId: '' }] };
    const prepared = prepareItem(json(push), context);
    expect(prepared.delivery?.push).toMatchObject({
      kind: 'fee',
      records: [{ sessionId: call!.sessionId }],
      rejectedRecords: [{ index: 1 }],
    });
    expect(prepared.entries).toEqual([
      expect.objectContaining({ status: 'valid', location: 'line 3, record 1 of the push' }),
      {
        status: 'invalid',
        location: 'line 3, record 2 of the push',
        code: 'invalid_session_id',
        reason: expect.stringContaining('feeLst[1].sessionId') as string,
      },
    ]);
  });

  it('when a record holds an unreadable time, then it is valid with the time NULL and an anomaly', () => {
    const push = { eventType: 'fee', feeLst: [{ ...call!.cdr, callEndTime: '2024-13-40 99:00:00' }] };
    const prepared = prepareItem(json(push), context);
    expect(prepared.entries).toEqual([expect.objectContaining({ status: 'valid', location: 'line 3, record 1 of the push' })]);
    const cdr = prepared.delivery?.push.kind === 'fee' ? prepared.delivery.push.records[0] : undefined;
    expect(cdr?.fields.callEndTime ?? null).toBeNull();
    expect(cdr?.anomalies).toEqual([{ field: 'callEndTime', code: 'unparseable_time', value: '2024-13-40 99:00:00' }]);
  });

  it('when no record of a fee push can be attributed, then each is reported, not just the first', () => {
    const push = { eventType: 'fee', feeLst: [42, { sessionId: '' }] };
    const prepared = prepareItem(json(push), context);
    expect(prepared.delivery).toBeNull();
    expect(prepared.entries).toEqual([
      {
        status: 'invalid',
        location: 'line 3, record 1 of the push',
        code: 'not_an_object',
        reason: expect.stringContaining('feeLst[0]') as string,
      },
      {
        status: 'invalid',
        location: 'line 3, record 2 of the push',
        code: 'invalid_session_id',
        reason: expect.stringContaining('sessionId') as string,
      },
    ]);
  });

  it('when a bare record has no session id, then the reason names the field, not a fee push the operator never saw', () => {
    const prepared = prepareItem(json({ ...call!.cdr, sessionId: '' }), context);
    expect(prepared.entries).toEqual([
      { status: 'invalid', location: 'line 3', code: 'invalid_session_id', reason: expect.stringMatching(/^sessionId/) as string },
    ]);
  });

  it.each([
    ['garbage', 'not json at all', 'invalid_json'],
    ['an array', '[1,2]', 'not_an_object'],
    ['an object that is neither a push nor a record', '{"hello":"world"}', 'not_a_push_or_cdr'],
    ['a status push without statusInfo', '{"eventType":"callout"}', 'missing_status_info'],
  ])('when the item is %s, then it is invalid with code %s', (_name, text, code) => {
    const prepared = prepareItem({ kind: 'json', position: 1, location: 'element 1', bytes: Buffer.from(text) }, context);
    expect(prepared).toEqual({ delivery: null, entries: [expect.objectContaining({ status: 'invalid', location: 'element 1', code })] });
  });

  it('when the bytes of a bare record are not UTF-8, then it is stored with replacement characters, the original bytes and an anomaly', () => {
    const bytes = Buffer.concat([Buffer.from(`{"sessionId":"s-gbk","userData":"`), Buffer.from([0xc4, 0xe3]), Buffer.from('"}')]);
    const prepared = prepareItem({ kind: 'json', position: 1, location: 'line 1', bytes }, context);
    expect(prepared.entries).toEqual([expect.objectContaining({ status: 'valid', location: 'line 1', kind: 'cdr' })]);
    const cdr = prepared.delivery?.push.kind === 'fee' ? prepared.delivery.push.records[0] : undefined;
    expect(cdr?.sessionId).toBe('s-gbk');
  });

  it('when a CSV row arrives as a record with integer fields as text, then it validates like the pushed record', () => {
    const prepared = prepareItem(
      {
        kind: 'record',
        position: 2,
        location: 'row 2',
        record: { sessionId: 's1', ulFailReason: '518', callEndTime: '2024-06-11 02:31:23' },
      },
      context,
    );
    expect(prepared.entries).toEqual([expect.objectContaining({ status: 'valid', kind: 'cdr', location: 'row 2' })]);
  });
});
