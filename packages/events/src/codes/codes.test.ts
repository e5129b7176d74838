import { describe, it, expect } from 'vitest';
import {
  describeFailReason,
  describeQ850Cause,
  describeStateCode,
  failReasonDescriptions,
  q850CauseDescriptions,
  stateCodeDescriptions,
} from './index.ts';

describe('stateCode table (spec §5.1)', () => {
  it('has exact entries', () => {
    expect(stateCodeDescriptions.get(0)).toBe('Hung up normally after the call was connected');
    expect(stateCodeDescriptions.get(8101)).toBe('Callee did not answer');
    expect(stateCodeDescriptions.get(8104)).toBe('Callee powered off');
    expect(stateCodeDescriptions.get(8013)).toBe('Invalid personal-number call');
    expect(stateCodeDescriptions.get(8111)).toBe('Caller number suspended');
  });

  it('has every row of table 5.1 plus the older variants', () => {
    // 29 rows in table 5.1 + 11 older variants (8013, 8014, 8016, 8019, 8022, 8106–8111).
    expect(stateCodeDescriptions.size).toBe(40);
  });

  it('describeStateCode returns null for unknown codes', () => {
    expect(describeStateCode(8101)).toBe('Callee did not answer');
    expect(describeStateCode(8011)).toBeNull();
    expect(describeStateCode(-1)).toBeNull();
  });
});

describe('ulFailReason table (spec §5.2)', () => {
  it('has exact entries', () => {
    expect(failReasonDescriptions.get(0)).toBe('Normal hang-up after connect');
    expect(failReasonDescriptions.get(518)).toBe('Remote user call failed — analyse together with the Q.850 cause');
    expect(failReasonDescriptions.get(2905)).toBe('Recording failed');
    expect(failReasonDescriptions.get(7005)).toBe('Caller blacklisted');
    expect(failReasonDescriptions.get(502)).toBe('Recording: creating the conference timed out');
    expect(failReasonDescriptions.get(527)).toBe('Unmute failed');
  });

  it('expands ranges and pairs but not the 400–699 and 8002…8105 rows', () => {
    // 57 single rows + 21 codes from 10 pair/triple rows + 14 codes from 2901–2914.
    expect(failReasonDescriptions.size).toBe(92);
    for (let code = 2901; code <= 2914; code++) {
      expect(failReasonDescriptions.get(code)).toBe('Recording failed');
    }
    expect(failReasonDescriptions.has(2900)).toBe(false);
    expect(failReasonDescriptions.has(2915)).toBe(false);
    expect(failReasonDescriptions.has(404)).toBe(false);
    expect(failReasonDescriptions.has(8101)).toBe(false);
  });

  it('describeFailReason falls back to SIP codes and the stateCode table', () => {
    expect(describeFailReason(404)).toContain('SIP response 404');
    expect(describeFailReason(518)).toBe(failReasonDescriptions.get(518));
    expect(describeFailReason(8101)).toBe(stateCodeDescriptions.get(8101));
    expect(describeFailReason(8101)).toBe('Callee did not answer');
    expect(describeFailReason(8106)).toBe('Caller number does not exist');
  });

  it('describeFailReason returns null for unknown codes', () => {
    expect(describeFailReason(1)).toBeNull();
    expect(describeFailReason(399)).toBeNull();
    expect(describeFailReason(700)).toBeNull();
    expect(describeFailReason(8011)).toBeNull();
    expect(describeFailReason(9999)).toBeNull();
  });
});

describe('Q.850 cause table (spec §5.3)', () => {
  it('has exact entries', () => {
    expect(q850CauseDescriptions.get(0)).toBe('Not applicable (no failure)');
    expect(q850CauseDescriptions.get(16)).toBe('Normal call clearing');
    expect(q850CauseDescriptions.get(19)).toBe('No answer from user (alerted)');
    expect(q850CauseDescriptions.get(127)).toBe('Interworking, unspecified');
  });

  it('has every code from both column pairs', () => {
    // 36 codes in the left column pair + 34 in the right.
    expect(q850CauseDescriptions.size).toBe(70);
  });

  it('describeQ850Cause returns null for unknown codes', () => {
    expect(describeQ850Cause(17)).toBe('User busy');
    expect(describeQ850Cause(10)).toBeNull();
    expect(describeQ850Cause(128)).toBeNull();
  });
});
