import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHuaweiTime, parseHuaweiTime, readTime, secondsBetween, UNIX_MILLISECONDS_THRESHOLD } from './time.ts';

describe('parseHuaweiTime', () => {
  it('when given a platform time, then reads it as UTC whatever the process time zone', () => {
    expect(parseHuaweiTime('2024-06-11 02:30:15')).toEqual({ ok: true, iso: '2024-06-11T02:30:15.000Z' });
  });

  it.each([
    ['2024-06-11T02:30:15Z', 'invalid_timestamp'],
    ['2024-06-11 02:30', 'invalid_timestamp'],
    ['1718073015', 'invalid_timestamp'],
    ['2024-02-30 10:00:00', 'invalid_timestamp'],
    ['2024-06-11 24:00:00', 'invalid_timestamp'],
    ['2023-02-29 00:00:00', 'invalid_timestamp'],
    ['1970-01-01 00:00:00', 'timestamp_out_of_range'],
    ['9999-12-31 23:59:59', 'timestamp_out_of_range'],
  ])('when given %s, then rejects it with %s', (text, code) => {
    const result = parseHuaweiTime(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(code);
  });

  it('when given a leap day, then accepts it', () => {
    expect(parseHuaweiTime('2024-02-29 23:59:59')).toEqual({ ok: true, iso: '2024-02-29T23:59:59.000Z' });
  });

  it('round-trips with formatHuaweiTime', () => {
    const date = new Date('2025-12-31T23:59:58.000Z');
    const parsed = parseHuaweiTime(formatHuaweiTime(date));
    expect(parsed).toEqual({ ok: true, iso: date.toISOString() });
  });

  it('measures whole seconds between ISO times and null when one is unknown', () => {
    expect(secondsBetween('2024-06-11T02:30:15.000Z', '2024-06-11T02:33:02.000Z')).toBe(167);
    expect(secondsBetween(null, '2024-06-11T02:33:02.000Z')).toBeNull();
  });
});

describe('parseHuaweiTime in another process time zone', () => {
  it('when the process runs in Asia/Shanghai or America/Los_Angeles, then the result is the same UTC instant', async () => {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const module = fileURLToPath(new URL('./time.ts', import.meta.url));
    for (const zone of ['Asia/Shanghai', 'America/Los_Angeles']) {
      const output = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { parseHuaweiTime } = await import(${JSON.stringify(module)}); console.log(new Date().getTimezoneOffset(), JSON.stringify(parseHuaweiTime('2024-06-11 02:30:15')));`,
        ],
        {
          env: { TZ: zone },
          encoding: 'utf8',
        },
      );
      const [offset, result] = output.trim().split(' ');
      expect(Number(offset)).not.toBe(0);
      expect(JSON.parse(result!)).toEqual({ ok: true, iso: '2024-06-11T02:30:15.000Z' });
    }
  });
});

describe('readTime', () => {
  it.each([
    ['2016-12-26 01:19:46', '2016-12-26T01:19:46.000Z', null],
    [undefined, null, null],
    [null, null, null],
    ['', null, null],
    ['2016-12-26  01:19:46', '2016-12-26T01:19:46.000Z', 'time_extra_spaces'],
    [' 2016-12-26 01:19:46 ', '2016-12-26T01:19:46.000Z', 'time_extra_spaces'],
    ['2016-12-26T01:19:46', '2016-12-26T01:19:46.000Z', 'time_iso8601'],
    ['2016-12-26T01:19:46Z', '2016-12-26T01:19:46.000Z', 'time_iso8601'],
    ['2016-12-26 01:19:46Z', '2016-12-26T01:19:46.000Z', 'time_iso8601'],
    ['2016-12-26T01:19:46.5Z', '2016-12-26T01:19:46.500Z', 'time_iso8601'],
    ['2016-12-26T01:19:46.123999Z', '2016-12-26T01:19:46.123Z', 'time_iso8601'],
    ['2016-12-26T09:19:46+08:00', '2016-12-26T01:19:46.000Z', 'time_iso8601'],
    ['2016-12-26T09:19:46+0800', '2016-12-26T01:19:46.000Z', 'time_iso8601'],
    ['2016-12-26T00:19:46+08', '2016-12-25T16:19:46.000Z', 'time_iso8601'],
    ['2016-12-25T20:49:46-04:30', '2016-12-26T01:19:46.000Z', 'time_iso8601'],
    [1482715186, '2016-12-26T01:19:46.000Z', 'time_unix_seconds'],
    ['1482715186', '2016-12-26T01:19:46.000Z', 'time_unix_seconds'],
    [1482715186.25, '2016-12-26T01:19:46.250Z', 'time_unix_seconds'],
    [1482715186000, '2016-12-26T01:19:46.000Z', 'time_unix_milliseconds'],
    ['1482715186000', '2016-12-26T01:19:46.000Z', 'time_unix_milliseconds'],
    ['yesterday', null, 'unparseable_time'],
    ['2024-02-30 10:00:00', null, 'unparseable_time'],
    ['2024-06-11 24:00:00', null, 'unparseable_time'],
    ['2024-06-11 02:30', null, 'unparseable_time'],
    ['2016-12-26T01:19:46+25:00', null, 'unparseable_time'],
    [-1, null, 'unparseable_time'],
    ['   ', null, 'unparseable_time'],
    [true, null, 'wrong_type'],
    [{ at: 1 }, null, 'wrong_type'],
    ['1970-01-01 00:00:00', null, 'time_out_of_range'],
    [0, null, 'time_out_of_range'],
    [99_999_999_999, null, 'time_out_of_range'],
    ['2099-12-31T23:59:59-01:00', null, 'time_out_of_range'],
  ])('when given %j, then reads %s with anomaly %s', (value, iso, anomaly) => {
    expect(readTime(value)).toEqual({ iso, anomaly });
  });

  it('when a canonical time is read, then it agrees with the strict parser', () => {
    expect(readTime('2024-02-29 23:59:59')).toEqual({ iso: '2024-02-29T23:59:59.000Z', anomaly: null });
    expect(parseHuaweiTime('2024-02-29 23:59:59')).toEqual({ ok: true, iso: '2024-02-29T23:59:59.000Z' });
  });

  it('when a time in the documented layout is read, then it agrees with the strict parser, valid or not', () => {
    // Digits anywhere in the layout: months 00-19, days 00-39, hours 00-29, years around the plausible range.
    const pick = (values: readonly string[]) => fc.constantFrom(...values);
    const twoDigits = (max: number) => fc.integer({ min: 0, max }).map((value) => String(value).padStart(2, '0'));
    const layout = fc
      .tuple(
        pick(['1999', '2000', '2023', '2024', '2099', '2100', '1900', '0024']),
        twoDigits(19),
        twoDigits(39),
        twoDigits(29),
        twoDigits(69),
        twoDigits(69),
      )
      .map(([year, month, day, hour, minute, second]) => `${year}-${month}-${day} ${hour}:${minute}:${second}`);
    fc.assert(
      fc.property(layout, (text) => {
        const strict = parseHuaweiTime(text);
        const read = readTime(text);
        if (strict.ok) expect(read).toEqual({ iso: strict.iso, anomaly: null });
        else
          expect(read).toEqual({ iso: null, anomaly: strict.code === 'timestamp_out_of_range' ? 'time_out_of_range' : 'unparseable_time' });
        // The same instant spelled as ISO 8601 goes through the general reader: the same instant.
        expect(readTime(text.replace(' ', 'T')).iso).toBe(read.iso);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each(['2024-06-11 02:30:1x', '2024-06-11 02:30:15 ', '2024-06-11\t02:30:15', '２０２４-06-11 02:30:15', '2024-06-11 02:30:-1'])(
    'when the layout is almost the documented one (%j), then the general reader decides',
    (text) => {
      const strict = parseHuaweiTime(text);
      expect(strict.ok).toBe(false);
      expect(readTime(text)).toEqual(
        text.trim() === '2024-06-11 02:30:15'
          ? { iso: '2024-06-11T02:30:15.000Z', anomaly: 'time_extra_spaces' }
          : { iso: null, anomaly: 'unparseable_time' },
      );
    },
  );

  it('tells seconds from milliseconds at the documented threshold', () => {
    expect(UNIX_MILLISECONDS_THRESHOLD).toBe(1e11);
    expect(readTime(UNIX_MILLISECONDS_THRESHOLD - 1).anomaly).toBe('time_out_of_range');
    expect(readTime(UNIX_MILLISECONDS_THRESHOLD).anomaly).toBe('time_out_of_range');
    expect(readTime(4_102_444_799).iso).toBe('2099-12-31T23:59:59.000Z');
    expect(readTime(946_684_800_000).iso).toBe('2000-01-01T00:00:00.000Z');
  });
});
