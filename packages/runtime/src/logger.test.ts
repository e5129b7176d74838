import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { maskPhoneNumber, maskPhoneNumbersIn } from './mask.ts';

describe('phone masking', () => {
  it('masks global-format and bare mobile numbers but not session ids', () => {
    expect(maskPhoneNumber('+8613800000001')).toBe('+86138****0001');
    expect(maskPhoneNumbersIn('call from +8613800000001 to 13912345678')).toBe('call from +86138****0001 to 139****5678');
    const sessionId = '1201_3381_4294967295_20240611023015@callenabler246.huaweicaas.com';
    expect(maskPhoneNumbersIn(sessionId)).toBe(sessionId);
  });

  it('when a log record carries numbers in the message, fields, nested objects and errors, then none leaks', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) }).child({ caller: '+8657188880001' });
    logger.info('dialing +8613800000001', {
      called: '+8613800000002',
      nested: { list: ['+8613800000003'] },
      error: new Error('busy: +8613800000004'),
    });
    const output = lines.join('');
    expect(output).not.toMatch(/\+86\d{7,}/);
    expect(output).toContain('+86138****0002');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', caller: '+86571****0001' });
  });

  it('when the level is warn, then info is dropped', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines).toHaveLength(1);
  });
});
