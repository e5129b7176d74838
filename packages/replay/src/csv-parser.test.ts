import { describe, expect, it } from 'vitest';
import { CsvParser, type CsvEvent } from './csv-parser.ts';

function parse(input: string | Buffer, pieceSize = 1_000_000, maxRowBytes?: number): CsvEvent[] {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const parser = new CsvParser(maxRowBytes);
  const events: CsvEvent[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) events.push(...parser.push(bytes.subarray(i, i + pieceSize)));
  return [...events, ...parser.end()];
}

describe('CsvParser', () => {
  it('when cells are quoted with commas, doubled quotes and line breaks inside, then they are read per RFC 4180 whatever the chunking', () => {
    const input = 'sessionId,userData,calleeNum\r\n"s1","a, ""quoted"" word",+861\r\ns2,"two\nlines",\r\n"s3","语音",x';
    for (const size of [1, 2, 3, 1000]) {
      expect(parse(input, size)).toEqual([
        { kind: 'row', row: 1, line: 1, cells: ['sessionId', 'userData', 'calleeNum'] },
        { kind: 'row', row: 2, line: 2, cells: ['s1', 'a, "quoted" word', '+861'] },
        { kind: 'row', row: 3, line: 3, cells: ['s2', 'two\nlines', ''] },
        { kind: 'row', row: 4, line: 5, cells: ['s3', '语音', 'x'] },
      ]);
    }
  });

  it('when blank lines appear, then they are skipped but counted as rows, as a spreadsheet shows them', () => {
    expect(parse('a,b\n\n1,2\n\n').map((event) => event.row)).toEqual([1, 3]);
  });

  it('when the input ends inside a quoted cell, then the cut row is reported as cut off', () => {
    expect(parse('a,b\n1,"unfinished\n')).toEqual([
      { kind: 'row', row: 1, line: 1, cells: ['a', 'b'] },
      { kind: 'cutOff', row: 2, line: 2 },
    ]);
  });

  it('when a quote stands inside an unquoted cell or text follows a closing quote, then only that row is bad', () => {
    expect(parse('a,b\n1,x"y\n"2"z,3\n4,5\n')).toEqual([
      { kind: 'row', row: 1, line: 1, cells: ['a', 'b'] },
      { kind: 'badRow', row: 2, line: 2, reason: expect.stringContaining('a quote inside an unquoted cell') as string },
      { kind: 'badRow', row: 3, line: 3, reason: expect.stringContaining('after the closing quote') as string },
      { kind: 'row', row: 4, line: 4, cells: ['4', '5'] },
    ]);
  });

  it('when a row is not UTF-8, then only that row is bad', () => {
    const input = Buffer.concat([Buffer.from('a\n'), Buffer.from([0xff, 0xfe]), Buffer.from('\nok\n')]);
    expect(parse(input).map((event) => event.kind)).toEqual(['row', 'badRow', 'row']);
  });

  it('when a row is larger than the limit, then only that row is bad', () => {
    expect(parse(`a\n${'x'.repeat(100)}\nok\n`, 7, 40).map((event) => event.kind)).toEqual(['row', 'badRow', 'row']);
  });

  it('when the last row has a trailing comma and no line break, then its empty last cell is kept', () => {
    expect(parse('a,b\n1,')).toEqual([
      { kind: 'row', row: 1, line: 1, cells: ['a', 'b'] },
      { kind: 'row', row: 2, line: 2, cells: ['1', ''] },
    ]);
  });
});
