import { describe, expect, it } from 'vitest';
import { cdrFieldSpecs } from '@callpipe/events';
import { cdrCsvFieldNames, CdrCsvEncoder, csvCell, TableCsvEncoder } from './csv.ts';

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [' edge', '" edge"'],
    ['', ''],
  ])('when the text is %j, then the cell is %j', (text, cell) => {
    expect(csvCell(text)).toBe(cell);
  });
});

describe('CdrCsvEncoder', () => {
  const names = cdrCsvFieldNames(['zzExtra', 'sessionId', 'direction']);

  it('when the records use an undocumented field, then the header is sessionId, the documented fields in order, then the others', () => {
    expect(names).toEqual(['sessionId', ...cdrFieldSpecs.map((spec) => spec.name), 'zzExtra']);
  });

  it('when a record holds text and integers, then replay reads the row back as the same record', () => {
    const encoder = new CdrCsvEncoder(names);
    const record = { sessionId: 's-1', direction: 0, callerNum: '+8613800000001', userData: 'a, "quoted"\nline', zzExtra: 'kept' };
    const { line, exact } = encoder.row(record);
    expect(exact).toBe(true);
    const cells = new Map([
      ['sessionId', 's-1'],
      ['direction', '0'],
      ['callerNum', '+8613800000001'],
      ['userData', '"a, ""quoted""\nline"'],
      ['zzExtra', 'kept'],
    ]);
    expect(line).toBe(`${names.map((name) => cells.get(name) ?? '').join(',')}\r\n`);
  });

  it.each([
    ['an integer field spelled as text', { sessionId: 's', direction: '1' }],
    ['empty text', { sessionId: 's', userData: '' }],
    ['a number in a text field', { sessionId: 's', userData: 12 }],
    ['null', { sessionId: 's', userData: null }],
    ['a nested value', { sessionId: 's', zzExtra: { a: 1 } }],
  ])('when a record holds %s, then the row is written but not exact', (_case, record) => {
    expect(new CdrCsvEncoder(names).row(record).exact).toBe(false);
  });
});

describe('TableCsvEncoder', () => {
  it('when a row has times, JSON, booleans and NULLs, then cells are ISO UTC, JSON text, true/false and empty', () => {
    const encoder = new TableCsvEncoder({
      session_id: 'text',
      started_at: 'timestamp',
      has_cdr: 'boolean',
      facts: 'json',
      talk_seconds: 'integer',
    });
    expect(encoder.header()).toBe('session_id,started_at,has_cdr,facts,talk_seconds\r\n');
    expect(
      encoder.row({ session_id: 'x', started_at: new Date('2026-11-30T16:00:00Z'), has_cdr: true, facts: { a: [1] }, talk_seconds: null }),
    ).toBe('x,2026-11-30T16:00:00.000Z,true,"{""a"":[1]}",\r\n');
  });
});
