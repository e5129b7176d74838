import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { SinglePush } from '@callpipe/queue';
import { encodeRecord, parseSegment } from './segment-format.ts';

const push = (deliveryId: string, body = '{"eventType":"answer"}'): SinglePush => ({
  name: 'status',
  data: {
    deliveryId,
    source: 'test',
    receivedAt: '2024-06-11T02:30:15.000Z',
    contentType: null,
    body,
    bodyEncoding: 'utf8',
    rejection: null,
  },
});
const ids = (bytes: Buffer) => parseSegment(bytes, 'framed').entries.map((entry) => entry.data.deliveryId);

describe('framed spool segments', () => {
  const [a, b, c] = ['a', 'b', 'c'].map((id) => encodeRecord(push(id, `{"text":"line\\nbreak \u001e ${id}"}`)));
  const segment = () => Buffer.concat([a!, b!, c!]);

  it('round-trips records whose bodies hold newlines and record separators', () => {
    expect(parseSegment(segment(), 'framed')).toEqual({
      entries: [
        push('a', '{"text":"line\\nbreak \u001e a"}'),
        push('b', '{"text":"line\\nbreak \u001e b"}'),
        push('c', '{"text":"line\\nbreak \u001e c"}'),
      ],
      bad: [],
      tornTail: null,
    });
  });

  it.each([
    ['a payload byte', () => a!.length + b!.length - 10, 'checksum_mismatch'],
    ['a length digit', () => a!.length + 1, 'bad_length'],
    ['the record separator', () => a!.length, 'bad_header'],
    ['the newline ending the payload', () => a!.length + b!.length - 1, 'bad_length'],
    ['the newline ending the header', () => a!.indexOf(0x0a) + a!.length, 'bad_header'],
  ])('when %s is damaged, then only that record is bad and its neighbours parse', (_what, at, reason) => {
    const bytes = segment();
    const position = at();
    bytes[position] = bytes[position] === 0x35 ? 0x39 : bytes[position]! ^ 0x03;
    const parsed = parseSegment(bytes, 'framed');
    expect(parsed.entries.map((entry) => entry.data.deliveryId)).toEqual(['a', 'c']);
    expect(parsed.bad.map((bad) => [bad.offset, bad.bytes.length, bad.reason])).toEqual([[a!.length, b!.length, reason]]);
    expect(parsed.tornTail).toBeNull();
  });

  it('when a record was spooled before the rename (name refused, field refusal), then it is read as rejected', () => {
    const { rejection: _current, ...data } = push('old').data;
    const rejection = { code: 'invalid_json', message: 'not JSON', bodyTruncated: false };
    const old = encodeRecord({ name: 'refused', data: { ...data, refusal: rejection } } as never);
    expect(parseSegment(old, 'framed').entries).toEqual([{ name: 'rejected', data: { ...data, rejection } }]);
  });

  it('when the last record is cut short anywhere, then it is a torn tail and never bad', () => {
    for (let cut = 1; cut < c!.length; cut += 1) {
      const parsed = parseSegment(Buffer.concat([a!, b!, c!.subarray(0, cut)]), 'framed');
      expect(parsed.entries).toHaveLength(2);
      expect(parsed.bad).toEqual([]);
      expect(parsed.tornTail).toEqual({ offset: a!.length + b!.length, bytes: cut });
    }
  });

  it('when the last record declares a length past the end but another record follows, then it is bad, not a torn tail', () => {
    const bytes = segment();
    bytes.write('9', a!.length + 1, 'latin1');
    const parsed = parseSegment(bytes, 'framed');
    expect(parsed.bad).toHaveLength(1);
    expect(parsed.tornTail).toBeNull();
  });

  it('when a crash left zeros after the last record, then they are a torn tail', () => {
    const parsed = parseSegment(Buffer.concat([a!, Buffer.alloc(64)]), 'framed');
    expect(parsed).toMatchObject({ bad: [], tornTail: { offset: a!.length, bytes: 64 } });
    expect(ids(Buffer.concat([a!, Buffer.alloc(64)]))).toEqual(['a']);
  });

  it('when a complete record holds valid JSON that is not a push, then it is bad (unparsable)', () => {
    const payload = Buffer.from('{"hello":1}');
    const record = encodeRecord(push('x'));
    const fake = Buffer.concat([
      Buffer.from(`\x1e${payload.length} `),
      Buffer.from(crc32(payload).toString(16).padStart(8, '0')),
      Buffer.from('\n'),
      payload,
      Buffer.from('\n'),
    ]);
    const parsed = parseSegment(Buffer.concat([record, fake]), 'framed');
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.bad.map((bad) => bad.reason)).toEqual(['unparsable']);
  });
});

describe('segments of JSON lines (written before framing)', () => {
  it('reads every complete line, reports a damaged one, and a last line without newline as torn', () => {
    const text = `${JSON.stringify(push('a'))}\nnot json\n\n${JSON.stringify(push('b'))}\n{"name":"st`;
    const parsed = parseSegment(Buffer.from(text), 'lines');
    expect(parsed.entries.map((entry) => entry.data.deliveryId)).toEqual(['a', 'b']);
    expect(parsed.bad.map((bad) => [bad.offset, bad.bytes.toString(), bad.reason])).toEqual([
      [JSON.stringify(push('a')).length + 1, 'not json\n', 'unparsable'],
    ]);
    expect(parsed.tornTail).toEqual({ offset: text.length - 11, bytes: 11 });
  });

  it('keeps a complete last line even when its newline did not make it', () => {
    expect(parseSegment(Buffer.from(JSON.stringify(push('a'))), 'lines')).toMatchObject({ bad: [], tornTail: null, entries: [push('a')] });
  });
});
