import { describe, expect, it } from 'vitest';
import { missingCdrsCsv } from './reconcile-report.ts';

describe('missingCdrsCsv', () => {
  it('when a value holds a comma or a quote, then it is quoted; times are UTC in the platform format', () => {
    expect(
      missingCdrsCsv([
        { sessionId: 'a,b', appKey: null, business: 'notify', endedAt: '2026-12-01T02:16:05.000Z' },
        { sessionId: 'say "hi"', appKey: 'K', business: null, endedAt: '2026-12-01T06:11:05.000Z' },
      ]),
    ).toEqual(['sessionId,appKey,business,callEndTimeUtc', '"a,b",,notify,2026-12-01 02:16:05', '"say ""hi""",K,,2026-12-01 06:11:05']);
  });
});
