import { describe, expect, it } from 'vitest';
import { checkHeader, CsvReader, recordFromRow } from './csv-records.ts';
import type { ReaderEvent } from './items.ts';

function read(text: string, detected = true): ReaderEvent[] {
  const reader = new CsvReader(detected);
  return [...reader.push(Buffer.from(text)), ...reader.end()];
}

describe('checkHeader', () => {
  it('when the header has no sessionId and the format was detected, then the message says the format is not recognized', () => {
    expect(checkHeader(['garbage'], true)).toEqual({ ok: false, message: expect.stringContaining('unrecognized format') as string });
  });

  it('when the header has no sessionId and CSV was asked for, then the message names the missing column', () => {
    expect(checkHeader(['callerNum', 'calleeNum'], false)).toEqual({
      ok: false,
      message: 'the CSV header has no sessionId column (header: callerNum,calleeNum)',
    });
  });

  it('when a column name repeats, then the header is refused', () => {
    expect(checkHeader(['sessionId', 'appKey', 'appKey'], false)).toEqual({
      ok: false,
      message: 'the CSV header names appKey more than once',
    });
  });

  it('when columns are unknown or unnamed, then warnings name them', () => {
    const check = checkHeader([' sessionId ', 'appKey', 'operatorNote', ''], true);
    expect(check).toMatchObject({
      ok: true,
      warnings: [
        'unknown CSV columns, kept as text fields of each record: operatorNote',
        'CSV columns without a name are ignored: column 4',
      ],
    });
  });
});

describe('recordFromRow', () => {
  const header = { names: ['sessionId', 'direction', 'ulFailReason', 'callEndTime', 'userData', 'extra'], cells: 6 };

  it('when integer fields hold plain integers, then they become numbers as in a live push; empty cells are absent', () => {
    expect(recordFromRow(header, ['s1', '0', '-518', '2024-06-11 02:31:23', '', 'note'])).toEqual({
      sessionId: 's1',
      direction: 0,
      ulFailReason: -518,
      callEndTime: '2024-06-11 02:31:23',
      extra: 'note',
    });
  });

  it('when an integer field holds something else, then it stays text for validation to reject or accept', () => {
    expect(recordFromRow(header, ['s1', '007', 'x', '', '123', ''])).toEqual({
      sessionId: 's1',
      direction: '007',
      ulFailReason: 'x',
      userData: '123',
    });
  });
});

describe('CsvReader', () => {
  it('when rows follow the header, then each becomes a record item located by row', () => {
    expect(read('sessionId,direction\ns1,0\n"s2",1\n')).toEqual([
      { kind: 'record', position: 2, location: 'row 2', record: { sessionId: 's1', direction: 0 } },
      { kind: 'record', position: 3, location: 'row 3', record: { sessionId: 's2', direction: 1 } },
    ]);
  });

  it('when a row has a different number of cells than the header, then that row is invalid', () => {
    expect(read('sessionId,direction\ns1,0,9\n')).toEqual([
      { kind: 'invalid', position: 2, location: 'row 2', code: 'invalid_csv_row', reason: 'the row has 3 cells, the header has 2' },
    ]);
  });

  it('when the header lacks sessionId, then one file error stops the reader', () => {
    const reader = new CsvReader(false);
    expect(reader.push(Buffer.from('a,b\n1,2\n'))).toEqual([
      { kind: 'problem', severity: 'error', message: 'the CSV header has no sessionId column (header: a,b)' },
    ]);
    expect(reader.stopped).toBe(true);
  });

  it('when a quoted cell spans lines, then later rows name their line as well', () => {
    expect(read('sessionId,userData\ns1,"a\nb"\ns2,c\n').map((event) => (event.kind === 'record' ? event.location : event.kind))).toEqual([
      'row 2',
      'row 3 (line 4)',
    ]);
  });
});
