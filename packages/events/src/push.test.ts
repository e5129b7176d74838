import { describe, expect, it } from 'vitest';
import { decodeBody } from './body.ts';
import { MAX_JSON_DEPTH, parsePush, type PushVerdict } from './push.ts';
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
  it('when the body is empty, then rejects it as empty_body', () => {
    expect(decodeBody(new Uint8Array())).toMatchObject({ ok: false, rejection: { code: 'empty_body' } });
  });
  it('when the bytes are not UTF-8, then decodes them with U+FFFD and keeps the original bytes', () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    expect(decodeBody(bytes)).toEqual({ ok: true, text: '{\ufffd\ufffd}', lossy: true, original: bytes });
  });
  it('when the bytes are UTF-8 with Chinese text, then decodes them losslessly', () => {
    const bytes = new TextEncoder().encode('{"a":"语音通话"}');
    expect(decodeBody(bytes)).toEqual({ ok: true, text: '{"a":"语音通话"}', lossy: false });
  });
});

describe('parsePush — push-level anomalies', () => {
  it('when the decoded body was lossy, then the push is accepted with the anomaly and the original bytes in base64', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"eventType":"callout","statusInfo":{"sessionId":"s1","userData":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ]);
    const decoded = decodeBody(bytes);
    if (!decoded.ok) throw new Error('expected a decoded body');
    const verdict = parsePush(decoded, options);
    expect(verdict).toMatchObject({
      ok: true,
      kind: 'status',
      event: { sessionId: 's1', userData: '\ufffd(', anomalies: [] },
      anomalies: [{ field: 'body', code: 'invalid_utf8_replaced', value: null }],
      originalBodyBase64: bytes.toString('base64'),
    });
  });

  it('when a valid UTF-8 body is given decoded or as text, then the verdicts are the same and carry no original bytes', () => {
    const text = statusBody({ sessionId: SESSION, timestamp: '2024-06-11 02:30:15' });
    const decoded = decodeBody(Buffer.from(text));
    if (!decoded.ok) throw new Error('expected a decoded body');
    expect(parsePush(decoded, options)).toEqual(parsePush(text, options));
    expect(parsePush(text, options)).toMatchObject({ anomalies: [], originalBodyBase64: null });
  });

  it.each([
    [
      'a NUL in an unknown field',
      '{"eventType":"callout","statusInfo":{"sessionId":"s","extra":"a\\u0000b"}}',
      'statusInfo.extra',
      '"a\\u0000b"',
    ],
    [
      'a NUL in userData',
      '{"eventType":"callout","statusInfo":{"sessionId":"s","userData":"a\\u0000b"}}',
      'statusInfo.userData',
      '"a\\u0000b"',
    ],
    ['a NUL in a key', '{"eventType":"callout","statusInfo":{"sessionId":"s","a\\u0000":1}}', 'statusInfo.a\ufffd', '"a\\u0000"'],
    ['a lone surrogate', '{"eventType":"callout","statusInfo":{"sessionId":"s","userData":"\\ud800"}}', 'statusInfo.userData', '"\\ud800"'],
    [
      'a NUL inside one CDR record',
      '{"eventType":"fee","feeLst":[{"sessionId":"a"},{"sessionId":"b","x":["\\u0000"]}]}',
      'feeLst[1].x[0]',
      '"\\u0000"',
    ],
  ])(
    'when the body holds %s, then it is accepted with U+FFFD in its place, the anomaly and the original bytes',
    (_name, body, field, value) => {
      const verdict = parsePush(body, options);
      if (!verdict.ok) throw new Error(`expected acceptance, got ${verdict.rejection.code}`);
      expect(verdict.anomalies).toEqual([{ field, code: 'unstorable_text_replaced', value }]);
      expect(verdict.originalBodyBase64).toBe(Buffer.from(body).toString('base64'));
      const stored = JSON.stringify(verdict.kind === 'status' ? verdict.event.payload : verdict.records.map((r) => r.record));
      expect(stored).not.toMatch(/\\u0000|\\ud800/);
      expect(stored).toContain('\ufffd');
    },
  );

  it('when a key is __proto__ beside an unstorable key, then both stay plain keys', () => {
    const verdict = parsePush('{"eventType":"callout","statusInfo":{"sessionId":"s","__proto__":{"x":1},"k\\u0000":2}}', options);
    if (!verdict.ok || verdict.kind !== 'status') throw new Error('expected a status push');
    expect(Object.keys(verdict.event.payload.statusInfo)).toEqual(['sessionId', '__proto__', 'k\ufffd']);
    expect(Object.getPrototypeOf(verdict.event.payload.statusInfo)).toBe(Object.prototype);
  });

  it('when a sessionId holds a NUL, then the push is rejected: the identity cannot be kept exactly', () => {
    expect(rejectionOf(parsePush('{"eventType":"callout","statusInfo":{"sessionId":"a\\u0000b"}}', options))).toBe('invalid_session_id');
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
    ['an empty eventType', 'invalid_event_type', '{"eventType":"","statusInfo":{"sessionId":"s"}}'],
    ['no statusInfo', 'missing_status_info', '{"eventType":"callout"}'],
    ['statusInfo an array', 'missing_status_info', '{"eventType":"callout","statusInfo":[]}'],
    ['no sessionId', 'invalid_session_id', statusBody({ timestamp: '2024-06-11 02:30:15' })],
    ['a sessionId that is an object', 'invalid_session_id', statusBody({ sessionId: { id: 1 } })],
    ['a fractional sessionId', 'invalid_session_id', statusBody({ sessionId: 1.5 })],
    ['a sessionId beyond 2^53', 'invalid_session_id', '{"eventType":"callout","statusInfo":{"sessionId":12345678901234567890}}'],
    ['an empty sessionId', 'invalid_session_id', statusBody({ sessionId: '' })],
    ['a 257-character sessionId', 'invalid_session_id', statusBody({ sessionId: 'x'.repeat(257) })],
    ['a sessionId with a newline', 'invalid_session_id', statusBody({ sessionId: 'a\nb' })],
  ])('when the body is %s, then it is rejected as %s', (_name, code, body) => {
    expect(rejectionOf(parsePush(body, options))).toBe(code);
  });

  it.each([
    ['an ISO timestamp', { timestamp: '2024-06-11T02:30:15Z' }, { eventAt: '2024-06-11T02:30:15.000Z' }, 'timestamp', 'time_iso8601'],
    ['an impossible date', { timestamp: '2024-13-01 00:00:00' }, { eventAt: null }, 'timestamp', 'unparseable_time'],
    ['an absurd year', { timestamp: '3024-06-11 02:30:15' }, { eventAt: null }, 'timestamp', 'time_out_of_range'],
    ['a numeric caller', { caller: 8613800000001 }, { caller: '8613800000001' }, 'caller', 'number_as_string'],
    ['a fractional stateCode', { stateCode: 1.5 }, { stateCode: null }, 'stateCode', 'fractional_integer'],
    ['a huge stateDesc', { stateDesc: 'x'.repeat(100_000) }, { stateDesc: null }, 'stateDesc', 'string_too_long'],
    ['a numeric sessionId', { sessionId: 12345 }, { sessionId: '12345' }, 'sessionId', 'session_id_as_number'],
  ])(
    'when the status push has %s, then it is accepted with that field normalized and an anomaly',
    (_name, extra, expected, field, code) => {
      const statusInfo: Record<string, unknown> = { sessionId: SESSION, ...extra };
      const verdict = parsePush(statusBody(statusInfo, 'disconnect'), options);
      if (!verdict.ok || verdict.kind !== 'status') throw new Error('expected a status push');
      expect(verdict.event).toMatchObject(expected);
      expect(verdict.event.anomalies).toEqual([{ field, code, value: statusInfo[field] }]);
      expect(verdict.event.payload.statusInfo).toEqual(statusInfo);
    },
  );

  it('when the event type is not a short word, then it is still an attributable, unknown event', () => {
    const verdict = parsePush(statusBody({ sessionId: SESSION }, 'drop table; 呼入'), options);
    expect(verdict).toMatchObject({ ok: true, kind: 'status', event: { eventType: 'drop table; 呼入', known: false } });
  });

  it('when a canonical event arrives, then it records no anomaly', () => {
    const verdict = parsePush(
      statusBody(
        { sessionId: SESSION, timestamp: '2024-06-11 02:30:15', stateCode: 0, stateDesc: 'The user releases the call.' },
        'disconnect',
      ),
      options,
    );
    expect(verdict).toMatchObject({ ok: true, anomalies: [], originalBodyBase64: null, event: { anomalies: [] } });
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

  it('when the JSON is nested deeper than the limit, then it is rejected as json_too_deep', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    expect(rejectionOf(parsePush(`{"eventType":"callout","statusInfo":{"sessionId":"s","x":${deep}}}`, options))).toBe('json_too_deep');
  });

  it('when the JSON is nested 100k levels deep, then it is rejected without crashing', () => {
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

  it('when integers arrive as numeric strings, then they are accepted as integers with an anomaly each', () => {
    const verdict = parsePush(feeBody([cdr({ ulFailReason: '518', sipStatusCode: '480' })]), options);
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a CDR');
    expect(verdict.records[0]?.fields).toMatchObject({ ulFailReason: 518, sipStatusCode: 480 });
    expect(verdict.records[0]?.anomalies).toEqual([
      { field: 'ulFailReason', code: 'integer_as_string', value: '518' },
      { field: 'sipStatusCode', code: 'integer_as_string', value: '480' },
    ]);
  });

  it('when times are empty strings, then they mean "not set", with no anomaly', () => {
    const verdict = parsePush(feeBody([cdr({ fwdAnswerTime: '' })]), options);
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a CDR');
    expect(verdict.records[0]).toMatchObject({ fields: { fwdAnswerTime: null }, anomalies: [] });
  });

  it('when a canonical CDR arrives, then it records no anomaly', () => {
    expect(parsePush(feeBody([cdr()]), options)).toMatchObject({ ok: true, anomalies: [], records: [{ anomalies: [] }] });
  });

  it('when one record of a batch has no sessionId, then the others are kept and it is reported with its index', () => {
    const verdict = parsePush(feeBody([cdr(), cdr({ sessionId: undefined }), 'nope', cdr({ sessionId: 'third' })]), options);
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a partly attributable CDR push');
    expect(verdict.records.map((r) => r.sessionId)).toEqual([SESSION, 'third']);
    expect(verdict.rejectedRecords).toMatchObject([
      { index: 1, rejection: { code: 'invalid_session_id' } },
      { index: 2, rejection: { code: 'not_an_object' }, record: 'nope' },
    ]);
    expect(verdict.rejectedRecords[0]?.rejection.message).toContain('feeLst[1].sessionId');
  });

  it('when a record has an impossible time, then it is kept with that time null and a lower field count', () => {
    const verdict = parsePush(feeBody([cdr(), cdr({ callEndTime: '2024-02-31 00:00:00' })]), options);
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a CDR push');
    const [good, bad] = verdict.records;
    expect(bad).toMatchObject({
      fields: { callEndTime: null },
      anomalies: [{ field: 'callEndTime', code: 'unparseable_time', value: '2024-02-31 00:00:00' }],
    });
    expect(bad!.fieldCount).toBe(good!.fieldCount - 1);
    expect(verdict.rejectedRecords).toEqual([]);
  });

  it.each([
    ['a string direction', { direction: 'out' }, { direction: null }, 'direction', 'unparseable_integer'],
    ['a boolean recordFlag', { recordFlag: true }, { recordFlag: 1 }, 'recordFlag', 'boolean_as_integer'],
    ['a boolean ulFailReason', { ulFailReason: false }, { ulFailReason: null }, 'ulFailReason', 'wrong_type'],
    ['a fractional ttsTransDuration', { ttsTransDuration: 1.5 }, { ttsTransDuration: null }, 'ttsTransDuration', 'fractional_integer'],
    ['a huge sipStatusCode', { sipStatusCode: 2 ** 40 }, { sipStatusCode: null }, 'sipStatusCode', 'integer_out_of_range'],
    ['a numeric callerNum', { callerNum: 8657188880001 }, { callerNum: '8657188880001' }, 'callerNum', 'number_as_string'],
    ['a callerNum in exponent form', { callerNum: 1e21 }, { callerNum: null }, 'callerNum', 'imprecise_number'],
    ['an object as hostName', { hostName: { a: 1 } }, { hostName: null }, 'hostName', 'wrong_type'],
    [
      'a 3000-character recordFileDownloadUrl',
      { recordFileDownloadUrl: 'h'.repeat(3000) },
      { recordFileDownloadUrl: null },
      'recordFileDownloadUrl',
      'string_too_long',
    ],
    ['a numeric sessionId', { sessionId: 42 }, {}, 'sessionId', 'session_id_as_number'],
  ])('when a CDR has %s, then it is accepted with the field normalized and an anomaly', (_name, extra, expected, field, code) => {
    const record = cdr(extra);
    const verdict = parsePush(feeBody([record]), options);
    if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a CDR');
    expect(verdict.records[0]?.fields).toMatchObject(expected);
    expect(verdict.records[0]?.anomalies).toEqual([{ field, code, value: record[field as keyof typeof record] }]);
    expect(verdict.records[0]?.record).toEqual(record);
  });

  it('when the sessionId is a number, then the record belongs to its decimal text', () => {
    expect(parsePush(feeBody([cdr({ sessionId: 42 })]), options)).toMatchObject({ ok: true, records: [{ sessionId: '42' }] });
  });

  it.each([
    ['feeLst missing', 'invalid_fee_list', JSON.stringify({ eventType: 'fee' })],
    ['feeLst an object', 'invalid_fee_list', JSON.stringify({ eventType: 'fee', feeLst: { sessionId: SESSION } })],
    ['feeLst empty', 'invalid_fee_list', feeBody([])],
    ['the only record without sessionId', 'invalid_session_id', feeBody([cdr({ sessionId: undefined })])],
    ['the only record a string', 'invalid_session_id', feeBody(['nope'])],
    ['no record with a sessionId', 'invalid_session_id', feeBody([cdr({ sessionId: '' }), null, cdr({ sessionId: -1 })])],
  ])('when %s, then the push is rejected as %s', (_name, code, body) => {
    expect(rejectionOf(parsePush(body, options))).toBe(code);
  });

  it('when 50 records arrive, then all are accepted with no anomaly', () => {
    const verdict = parsePush(feeBody(Array.from({ length: 50 }, (_, i) => cdr({ sessionId: `s${i}` }))), options);
    expect(verdict).toMatchObject({ ok: true, anomalies: [] });
    expect(verdict.ok && verdict.kind === 'fee' && verdict.records.length).toBe(50);
  });

  it('when 51 records arrive, then all are accepted with the push-level anomaly fee_list_over_limit', () => {
    const verdict = parsePush(feeBody(Array.from({ length: 51 }, (_, i) => cdr({ sessionId: `s${i}` }))), options);
    expect(verdict).toMatchObject({
      ok: true,
      anomalies: [{ field: 'feeLst', code: 'fee_list_over_limit', value: 51 }],
      originalBodyBase64: null,
    });
    expect(verdict.ok && verdict.kind === 'fee' && verdict.records.length).toBe(51);
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
