import { describe, expect, it } from 'vitest';
import { createProgressRenderer, formatProgressLine } from './progress.ts';
import { exitCodeOf, formatRecordReport, formatSummary, type ReplaySummary } from './report.ts';
import { Throttle } from './throttle.ts';
import { differingFields } from './record-diff.ts';

const summary = (overrides: Partial<ReplaySummary> = {}): ReplaySummary => ({
  mode: 'write',
  strict: false,
  written: true,
  records: { total: 10, invalid: 0 },
  stored: {
    deliveriesStored: 10,
    deliveriesAlreadyReplayed: 0,
    cdrsInserted: 9,
    cdrsRedelivered: 1,
    eventsInserted: 0,
    eventsRedelivered: 0,
    callsCreated: 9,
    callsUpdated: 1,
    rejectedRecordsKept: 0,
  },
  fileErrors: 0,
  files: [{ file: 'a.jsonl', format: 'jsonl', records: 10, invalid: 0, errors: [], warnings: [] }],
  bytesRead: 4096,
  elapsedSeconds: 2,
  recordsPerSecond: 5,
  peakRssBytes: 100 * 1024 * 1024,
  timings: { readSeconds: 0.25, parseSeconds: 0.5, storeSeconds: 2.5, storeWaitSeconds: 1.25 },
  ...overrides,
});

describe('exitCodeOf', () => {
  it('when nothing was invalid, then 0; when a record was invalid or a file broken, then 1', () => {
    expect(exitCodeOf(summary())).toBe(0);
    expect(exitCodeOf(summary({ records: { total: 10, invalid: 1 } }))).toBe(1);
    expect(exitCodeOf(summary({ fileErrors: 1 }))).toBe(1);
  });
});

describe('formatSummary', () => {
  it('when records were written, then the summary gives throughput, peak memory and what was stored', () => {
    const lines = formatSummary(summary());
    expect(lines[0]).toBe('replayed 10 records in 2.0 s (5 records/s, 4.0 KiB read, peak RSS 100 MiB); 0 invalid');
    expect(lines.join('\n')).toContain('cdrs: 9 new, 1 already stored (delivery counted)');
  });

  it('when records were written, then the summary says where the time went: reading, parsing, storing, and waiting for the database', () => {
    expect(formatSummary(summary())).toContain(
      '  time: read 0.3 s, parse 0.5 s, store 2.5 s (batches overlap reading; reading waited 1.3 s for the database)',
    );
  });

  it('when it was a dry run, then the summary gives the count of each verdict', () => {
    const lines = formatSummary(
      summary({
        mode: 'dry-run',
        written: false,
        stored: null,
        records: { total: 10, new: 5, stored_identical: 3, stored_different: 1, invalid: 1 },
      }),
    );
    expect(lines.slice(0, 2).join('\n')).toMatch(
      /^dry run, nothing written: .*\n {2}5 new, 3 stored_identical, 1 stored_different, 1 invalid$/,
    );
  });

  it('when --strict found problems, then the summary says nothing was written and why', () => {
    expect(formatSummary(summary({ strict: true, written: false, stored: null, records: { total: 10, invalid: 2 } }))[0]).toMatch(
      /^--strict: nothing written, because 2 invalid record\(s\) and 0 file error\(s\)/,
    );
  });
});

describe('formatRecordReport', () => {
  it('when a record differs from the stored one, then the line names the fields', () => {
    expect(
      formatRecordReport({
        file: 'a.csv',
        location: 'row 3',
        status: 'stored_different',
        kind: 'cdr',
        sessionId: 's1',
        differingFields: ['callEndTime'],
      }),
    ).toBe('a.csv row 3: stored_different CDR of s1; differs in callEndTime');
  });

  it('when a record is invalid, then the line gives file, location, code and reason', () => {
    expect(
      formatRecordReport({ file: 'a.jsonl', location: 'line 7', status: 'invalid', code: 'invalid_json', reason: 'not valid JSON' }),
    ).toBe('a.jsonl line 7: invalid [invalid_json] not valid JSON');
  });
});

describe('progress', () => {
  it('when the input size is known, then the line shows rate, bytes, percentage and ETA', () => {
    const line = formatProgressLine({
      phase: 'write',
      file: 'big.json.gz',
      records: 50_000,
      bytesRead: 25 * 1024 * 1024,
      totalBytes: 100 * 1024 * 1024,
      elapsedMs: 10_000,
    });
    expect(line).toBe(
      'replaying big.json.gz · 50,000 records · 5,000/s · [#####...............] 25.0 MiB / 100 MiB (25%) · ETA 0:30 · elapsed 0:10',
    );
  });

  it('when the input size is unknown (standard input), then the line shows bytes read and no ETA', () => {
    expect(formatProgressLine({ phase: 'dry-run', file: '-', records: 10, bytesRead: 2048, totalBytes: null, elapsedMs: 1000 })).toBe(
      'dry run - · 10 records · 10/s · 2.0 KiB read · elapsed 0:01',
    );
  });

  it('when on a terminal, then one line is redrawn in place; elsewhere plain lines come at the quiet interval', () => {
    let now = 0;
    const snapshot = { phase: 'write' as const, file: 'f', records: 1, bytesRead: 1, totalBytes: null, elapsedMs: 1000 };
    const terminal: string[] = [];
    const tty = createProgressRenderer({ write: (text) => terminal.push(text), isTTY: true, now: () => now });
    const log: string[] = [];
    const quiet = createProgressRenderer({ write: (text) => log.push(text), isTTY: false, quietIntervalMs: 10_000, now: () => now });
    for (now = 0; now <= 20_000; now += 50) {
      tty.update(snapshot);
      quiet.update(snapshot);
    }
    tty.finish();
    expect(terminal.length).toBeGreaterThan(100);
    expect(terminal.every((text) => text.startsWith('\r\u001b[2K'))).toBe(true);
    expect(log).toHaveLength(2);
    expect(log.every((text) => text.endsWith('\n'))).toBe(true);
  });
});

describe('Throttle', () => {
  it('when records come faster than the rate, then the delay brings them back to it', () => {
    let now = 1000;
    const throttle = new Throttle(100, () => now);
    expect(throttle.delayFor(50)).toBe(500);
    now += 500;
    expect(throttle.delayFor(50)).toBe(500);
    now += 2000;
    expect(throttle.delayFor(10)).toBe(0);
  });
});

describe('differingFields', () => {
  it('when values, absent and null fields differ, then those top-level names are listed, sorted', () => {
    expect(differingFields({ a: 1, b: { x: 1, y: 2 }, c: null, d: 'same' }, { a: 2, b: { y: 2, x: 1 }, d: 'same', e: 0 })).toEqual([
      'a',
      'c',
      'e',
    ]);
  });
});
