import { describe, expect, it } from 'vitest';
import { LineSplitter, type Line } from './line-splitter.ts';

function splitInPieces(text: string | Buffer, pieceSize: number, maxBytes?: number): Line[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const splitter = new LineSplitter(maxBytes);
  const lines: Line[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) lines.push(...splitter.push(bytes.subarray(i, i + pieceSize)));
  return [...lines, ...splitter.end()];
}

const texts = (lines: Line[]) =>
  lines.map((line) => (line.tooLarge ? { line: line.line, tooLarge: true } : { line: line.line, text: line.bytes.toString() }));

describe('LineSplitter', () => {
  it('when lines end in LF or CRLF and arrive in pieces of any size, then every line comes out whole with its number', () => {
    const input = '{"a":1}\r\n{"b":"语音"}\n\n   \n{"c":3}';
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(texts(splitInPieces(input, size))).toEqual([
        { line: 1, text: '{"a":1}' },
        { line: 2, text: '{"b":"语音"}' },
        { line: 5, text: '{"c":3}' },
      ]);
    }
  });

  it('when the input ends with a line break, then no empty last line is produced', () => {
    expect(texts(splitInPieces('x\ny\n', 4))).toEqual([
      { line: 1, text: 'x' },
      { line: 2, text: 'y' },
    ]);
  });

  it('when a line is longer than the limit, then it is reported as too large and the next line is read normally', () => {
    expect(texts(splitInPieces(`${'x'.repeat(50)}\nshort\n`, 8, 20))).toEqual([
      { line: 1, tooLarge: true },
      { line: 2, text: 'short' },
    ]);
  });
});
