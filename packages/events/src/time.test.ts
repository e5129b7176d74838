import { describe, expect, it } from 'vitest';
import { formatHuaweiTime, parseHuaweiTime, secondsBetween } from './time.ts';

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
  ])('when given %s, then refuses it with %s', (text, code) => {
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
