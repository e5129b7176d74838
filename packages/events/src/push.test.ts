import { describe, expect, it } from 'vitest';
import { decodeBody, MAX_JSON_DEPTH, parsePush, type PushVerdict } from './push.ts';
import type { NormalizeOptions } from './types.ts';

const options: NormalizeOptions = { businessByAppKey: new Map([['appNotify', 'notify']]) };
const SESSION = '1201_3381_4294967295_20240611023015@callenabler246.huaweicaas.com';

const statusBody = (statusInfo: Record<string, unknown>, eventType = 'callout') => JSON.stringify({ eventType, statusInfo });
const cdr = (extra: Record<string, unknown> = {}) => ({
  direction: 0,
  spId: 'sp1',
  appKey: 'appNotify',
  bindNum: '+8657188880000',
  sessionId: SESSION,
  callerNum: '+8657188880001',
  calleeNum: '+8613800000001',
  callOutStartTime: '2024-06-11 02:30:15',
  callOutAlertingTime: '2024-06-11 02:30:17',
  callOutAnswerTime: '2024-06-11 02:30:22',
  callEndTime: '2024-06-11 02:31:23',
  serviceType: '001',
  ...extra,
});
const feeBody = (records: unknown[]) => JSON.stringify({ eventType: 'fee', feeLst: records });

function rejectionOf(verdict: PushVerdict): string {
  if (verdict.ok) throw new Error(`expected a rejection, got ${verdict.kind}`);
  return verdict.rejection.code;
}

describe('decodeBody', () => {
  it('when the body is empty, then refuses it as empty_body', () => {
    expect(decodeBody(new Uint8Array())).toMatchObject({ ok: false, rejection: { code: 'empty_body' } });
  });
  it('when the bytes are not UTF-8, then refuses them as invalid_utf8', () => {
    expect(decodeBody(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({ ok: false, rejection: { code: 'invalid_utf8' } });
  });
  it('when the bytes are UTF-8 with Chinese text, then decodes them', () => {
    const bytes = new TextEncoder().encode('{"a":"语音通话"}');
    expect(decodeBody(bytes)).toEqual({ ok: true, text: '{"a":"语音通话"}' });
  });
});

describe('parsePush — status pushes', () => {
  it('when a callout arrives, then it is normalized with a UTC time and a content key', () => {
    const verdict = parsePush(
      statusBody({ sessionId: SESSION, timestamp: '2024-06-11 02:30:15', caller: '+8657188880001', called: '+8613800000001' }),
      options,
    );
    expect(verdict).toMatchObject({
      ok: true,
      kind: 'status',
      event: { sessionId: SESSION, eventType: 'callout', known: true, eventAt: '2024-06-11T02:30:15.000Z', called: '+8613800000001' },
    });
    if (verdict.ok && verdict.kind === 'status') expect(verdict.event.eventKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('when the same event arrives with keys in another order, then it has the same content key', () => {
    const a = parsePush('{"eventType":"answer","statusInfo":{"sessionId":"s1","timestamp":"2024-06-11 02:30:15"}}', options);
    const b = parsePush('{"statusInfo":{"timestamp":"2024-06-11 02:30:15","sessionId":"s1"},"eventType":"answer"}', options);
    expect(a.ok && b.ok && a.kind === 'status' && b.kind === 'status' && a.event.eventKey === b.event.eventKey).toBe(true);
  });

  it('when the event type is new to us, then it is accepted as unknown and kept', () => {
    const verdict = parsePush(
      statusBody({ sessionId: SESSION, timestamp: '2024-06-11 02:30:15', extra: { nested: true } }, 'callin'),
      options,
    );
    expect(verdict).toMatchObject({ ok: true, kind: 'status', event: { known: false, eventType: 'callin' } });
    if (verdict.ok && verdict.kind === 'status') expect(verdict.event.payload.statusInfo['extra']).toEqual({ nested: true });
  });

  it('when statusInfo carries unknown fields, then they stay in the payload', () => {
    const verdict = parsePush(statusBody({ sessionId: SESSION, displayCallerNum: '+8657100000000' }), options);
    expect(verdict.ok && verdict.kind === 'status' && verdict.event.payload.statusInfo['displayCallerNum']).toBe('+8657100000000');
  });

  it.each([
    ['not JSON', 'invalid_json', 'hello'],
    ['truncated JSON', 'invalid_json', '{"eventType":"callout","statusInfo":{"sessionId":"s'],
    ['blank', 'empty_body', '   '],
    ['an array', 'not_an_object', '[1,2]'],
    ['a string', 'not_an_object', '"fee"'],
    ['no eventType', 'missing_event_type', '{"statusInfo":{"sessionId":"s"}}'],
    ['a numeric eventType', 'invalid_event_type', '{"eventType":5,"statusInfo":{"sessionId":"s"}}'],
    ['an eventType with spaces', 'invalid_event_type', '{"eventType":"drop table","statusInfo":{"sessionId":"s"}}'],
    ['no statusInfo', 'missing_status_info', '{"eventType":"callout"}'],
    ['statusInfo an array', 'missing_status_info', '{"eventType":"callout","statusInfo":[]}'],
    ['no sessionId', 'invalid_session_id', statusBody({ timestamp: '2024-06-11 02:30:15' })],
    ['a numeric sessionId', 'invalid_session_id', statusBody({ sessionId: 12345 })],
    ['an empty sessionId', 'invalid_session_id', statusBody({ sessionId: '' })],
    ['a 257-character sessionId', 'invalid_session_id', statusBody({ sessionId: 'x'.repeat(257) })],
    ['a sessionId with a newline', 'invalid_session_id', statusBody({ sessionId: 'a\nb' })],
    ['an ISO timestamp', 'invalid_timestamp', statusBody({ sessionId: SESSION, timestamp: '2024-06-11T02:30:15Z' })],
    ['an impossible date', 'invalid_timestamp', statusBody({ sessionId: SESSION, timestamp: '2024-13-01 00:00:00' })],
    ['an absurd year', 'timestamp_out_of_range', statusBody({ sessionId: SESSION, timestamp: '3024-06-11 02:30:15' })],
    ['a numeric caller', 'invalid_field', statusBody({ sessionId: SESSION, caller: 8613800000001 })],
    ['a fractional stateCode', 'invalid_field', statusBody({ sessionId: SESSION, stateCode: 1.5 }, 'disconnect')],
    ['a huge stateDesc', 'field_too_long', statusBody({ sessionId: SESSION, stateDesc: 'x'.repeat(100_000) }, 'disconnect')],
    ['a NUL in userData', 'invalid_characters', statusBody({ sessionId: SESSION, userData: 'a\u0000b' })],
  ])('when the body is %s, then it is refused as %s', (_name, code, body) => {
    expect(rejectionOf(parsePush(body, options))).toBe(code);
  });

  it.each([
    ['a NUL in an unknown field', '{"eventType":"callout","statusInfo":{"sessionId":"s","extra":"a\\u0000b"}}'],
    ['a NUL in a key', '{"eventType":"callout","statusInfo":{"sessionId":"s","a\\u0000":1}}'],
    ['a lone surrogate', '{"eventType":"callout","statusInfo":{"sessionId":"s","userData":"\\ud800"}}'],
    ['a NUL inside one CDR record', '{"eventType":"fee","feeLst":[{"sessionId":"a"},{"sessionId":"b","x":"\\u0000"}]}'],
  ])('when the body holds %s, then the whole push is refused as invalid_characters (Postgres could never store it)', (_name, body) => {
    expect(rejectionOf(parsePush(body, options))).toBe('invalid_characters');
  });

  it('when strings hold emoji and Chinese text, then they are accepted', () => {
    const verdict = parsePush(statusBody({ sessionId: SESSION, userData: '订单 😀 ok' }), options);
    expect(verdict.ok && verdict.kind === 'status' && verdict.event.userData).toBe('订单 😀 ok');
  });

  it.each([
    [1718073015, '2024-06-11T02:30:15.000Z'],
    [1718073015000, '2024-06-11T02:30:15.000Z'],
  ])('when the timestamp is the UNIX time %s, then it is read as %s', (timestamp, iso) => {
    const verdict = parsePush(statusBody({ sessionId: SESSION, timestamp }), options);
    expect(verdict.ok && verdict.kind === 'status' && verdict.event.eventAt).toBe(iso);
  });

  it('when the JSON is nested deeper than the limit, then it is refused as json_too_deep', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    expect(rejectionOf(parsePush(`{"eventType":"callout","statusInfo":{"sessionId":"s","x":${deep}}}`, options))).toBe('json_too_deep');
  });

  it('when the JSON is nested 100k levels deep, then it is refused without crashing', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(['json_too_deep', 'invalid_json']).toContain(rejectionOf(parsePush(deep, options)));
  });

  it('when strings carry SQL and control characters, then they are kept verbatim', () => {
    const nasty = "'); DROP TABLE calls;-- \t\u0007";
    const verdict = parsePush(statusBody({ sessionId: SESSION, userData: nasty }), options);
    expect(verdict.ok && verdict.kind === 'status' && verdict.event.userData).toBe(nasty);
  });
});

describe('parsePush — CDR pushes', () => {
  it('when a CDR arrives, then every documented field is normalized and durations derived', () => {
    const verdict = parsePush(feeBody([cdr({ unknownFutureField: 'kept' })]), options);
    expect(verdict.ok && verdict.kind).toBe('fee');
    if (!verdict.ok || verdict.kind !== 'fee') return;
    const [record] = verdict.records;
    expect(record).toMatchObject({
      sessionId: SESSION,
      business: { business: 'notify', source: 'app_key' },
      fields: { callEndTime: '2024-06-11T02:31:23.000Z', fwdDstNum: null, direction: 0 },
      derived: { ringSeconds: 5, talkSeconds: 61, callOutLegSeconds: 61, fwdLegSeconds: null, billableMinutes: 2 },
    });
    expect(record?.record['unknownFutureField']).toBe('kept');
  });

  it('when a click-to-call CDR arrives, then both legs count towards billable minutes', () => {
    const verdict = parsePush(
      feeBody([
        cdr({
          appKey: 'unmapped',
          serviceType: '002',
          fwdDstNum: '+8613800000002',
          fwdStartTime: '2024-06-11 02:30:23',
          fwdAlertingTime: '2024-06-11 02:30:26',
          fwdAnswerTime: '2024-06-11 02:30:31',
          callEndTime: '2024-06-11 02:33:02',
        }),
      ]),
      options,
    );
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a CDR');
    expect(verdict.records[0]).toMatchObject({
      business: { business: 'click2call', source: 'service_type' },
      derived: { ringSeconds: 5, talkSeconds: 151, callOutLegSeconds: 160, fwdLegSeconds: 151, billableMinutes: 6 },
    });
  });

  it('when serviceType is 001 and the app key is not configured, then the business stays unknown', () => {
    const verdict = parsePush(feeBody([cdr({ appKey: 'someOtherApp' })]), options);
    expect(verdict.ok && verdict.kind === 'fee' && verdict.records[0]?.business).toBeNull();
  });

  it('when integers arrive as numeric strings, then they are accepted as integers', () => {
    const verdict = parsePush(feeBody([cdr({ ulFailReason: '518', sipStatusCode: '480' })]), options);
    expect(verdict.ok && verdict.kind === 'fee' && verdict.records[0]?.fields).toMatchObject({ ulFailReason: 518, sipStatusCode: 480 });
  });

  it('when times are empty strings, then they mean "not set"', () => {
    const verdict = parsePush(feeBody([cdr({ fwdAnswerTime: '' })]), options);
    expect(verdict.ok && verdict.kind === 'fee' && verdict.records[0]?.fields.fwdAnswerTime).toBeNull();
  });

  it('when one record of a batch is bad, then the good ones are kept and the bad one is reported with its index', () => {
    const verdict = parsePush(
      feeBody([cdr(), cdr({ sessionId: 'other', callEndTime: '2024-02-31 00:00:00' }), cdr({ sessionId: 'third' })]),
      options,
    );
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a partly valid CDR push');
    expect(verdict.records.map((r) => r.sessionId)).toEqual([SESSION, 'third']);
    expect(verdict.rejectedRecords).toHaveLength(1);
    expect(verdict.rejectedRecords[0]).toMatchObject({ index: 1, rejection: { code: 'invalid_timestamp' } });
    expect(verdict.rejectedRecords[0]?.rejection.message).toContain('feeLst[1].callEndTime');
  });

  it.each([
    ['feeLst missing', 'invalid_fee_list', JSON.stringify({ eventType: 'fee' })],
    ['feeLst an object', 'invalid_fee_list', JSON.stringify({ eventType: 'fee', feeLst: { sessionId: SESSION } })],
    ['feeLst empty', 'fee_list_size', feeBody([])],
    ['51 records', 'fee_list_size', feeBody(Array.from({ length: 51 }, (_, i) => cdr({ sessionId: `s${i}` })))],
    ['the only record without sessionId', 'invalid_session_id', feeBody([cdr({ sessionId: undefined })])],
    ['the only record a string', 'invalid_field', feeBody(['nope'])],
    ['a numeric sessionId', 'invalid_session_id', feeBody([cdr({ sessionId: 42 })])],
    ['a string direction', 'invalid_field', feeBody([cdr({ direction: 'out' })])],
    ['a numeric callerNum', 'invalid_field', feeBody([cdr({ callerNum: 8657188880001 })])],
    ['a 2 MB recordFileDownloadUrl', 'field_too_long', feeBody([cdr({ recordFileDownloadUrl: 'h'.repeat(3000) })])],
  ])('when %s, then the push is refused as %s', (_name, code, body) => {
    expect(rejectionOf(parsePush(body, options))).toBe(code);
  });

  it('when 50 records arrive, then all are accepted', () => {
    const verdict = parsePush(feeBody(Array.from({ length: 50 }, (_, i) => cdr({ sessionId: `s${i}` }))), options);
    expect(verdict.ok && verdict.kind === 'fee' && verdict.records.length).toBe(50);
  });
});

describe('parsePush without content keys', () => {
  it('gives the same verdict as the full parse, only without the hashed keys', () => {
    const bodies = [
      JSON.stringify({
        eventType: 'callout',
        statusInfo: { sessionId: 'ck-1', timestamp: '2024-06-11 02:30:15', caller: '+8657188880001', called: '+8613800000001' },
      }),
      JSON.stringify({
        eventType: 'fee',
        feeLst: [
          { sessionId: 'ck-2', callEndTime: '2024-06-11 02:33:02' },
          { sessionId: 'ck-3', callEndTime: 'later' },
        ],
      }),
      JSON.stringify({ eventType: 'answer', statusInfo: { sessionId: 'ck-4', timestamp: 'yesterday' } }),
    ];
    for (const body of bodies) {
      const full = parsePush(body, { businessByAppKey: new Map() });
      const verdictOnly = parsePush(body, { businessByAppKey: new Map(), contentKeys: false });
      if (full.ok && full.kind === 'status' && verdictOnly.ok && verdictOnly.kind === 'status') {
        expect(full.event.eventKey).toMatch(/^[0-9a-f]{64}$/);
        expect(verdictOnly).toEqual({ ...full, event: { ...full.event, eventKey: '' } });
      } else if (full.ok && full.kind === 'fee' && verdictOnly.ok && verdictOnly.kind === 'fee') {
        expect(verdictOnly).toEqual({ ...full, records: full.records.map((record) => ({ ...record, recordKey: '' })) });
      } else {
        expect(verdictOnly).toEqual(full);
      }
    }
  });
});
