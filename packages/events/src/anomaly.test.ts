import { describe, expect, it } from 'vitest';
import { anomalyCodes, anomalyDescriptions, anomalyFieldLabel, isAnomalyCode } from './anomaly.ts';

describe('anomaly codes', () => {
  it('are a closed list of snake_case codes, each described', () => {
    expect(anomalyCodes.length).toBeGreaterThan(10);
    for (const code of anomalyCodes) {
      expect(code).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
      expect(anomalyDescriptions[code].length).toBeGreaterThan(10);
      expect(isAnomalyCode(code)).toBe(true);
    }
    expect(isAnomalyCode('toString')).toBe(false);
  });
});

describe('anomalyFieldLabel', () => {
  it.each([
    ['callEndTime', 'callEndTime'],
    ['timestamp', 'timestamp'],
    ['sessionId', 'sessionId'],
    ['body', 'body'],
    ['feeLst', 'feeLst'],
    ['statusInfo.userData', 'userData'],
    ['feeLst[3].hostName', 'hostName'],
    ['feeLst[3].x[0]', 'other'],
    ['statusInfo.someFutureField', 'other'],
    ['constructor', 'other'],
  ])('when the field is %s, then the metric label is %s', (field, label) => {
    expect(anomalyFieldLabel(field)).toBe(label);
  });
});
