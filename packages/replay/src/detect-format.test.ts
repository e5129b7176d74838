import { describe, expect, it } from 'vitest';
import { FormatSniffer, type Format } from './detect-format.ts';

function detect(text: string, pieceSize = 1_000_000, override?: Format): Format | 'empty' {
  const sniffer = new FormatSniffer(override);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += pieceSize) {
    const format = sniffer.push(bytes.subarray(i, i + pieceSize));
    if (format) return format;
  }
  return sniffer.end();
}

describe('FormatSniffer', () => {
  const cases: Array<[string, string, Format | 'empty']> = [
    ['an array', '\n [ {"sessionId":"s"} ]', 'json-array'],
    ['a one-line push body', '{"eventType":"fee","feeLst":[]}\n', 'push'],
    ['a one-line push body without a line break', '{"eventType":"fee","feeLst":[]}', 'push'],
    ['a pretty-printed push body', '{\n  "eventType": "fee",\n  "feeLst": []\n}\n', 'push'],
    ['JSON lines', '{"sessionId":"a"}\n\n{"sessionId":"b"}\n', 'jsonl'],
    ['JSON lines whose second line is garbage', '{"sessionId":"a"}\ngarbage\n', 'jsonl'],
    ['CSV', 'sessionId,appKey\ns,k\n', 'csv'],
    ['binary garbage', '\u0001\u0002PK', 'csv'],
    ['nothing', '', 'empty'],
    ['only whitespace', ' \n\t\r\n', 'empty'],
  ];
  it.each(cases)('when the file is %s, then its format is detected whatever the chunking', (_name, text, expected) => {
    for (const size of [1, 3, 1_000_000]) expect(detect(text, size)).toBe(expected);
  });

  it('when a format is given, then it is used as soon as the file is known not to be empty', () => {
    expect(detect('{"a":1}\n{"b":2}\n', 1, 'push')).toBe('push');
    expect(detect('  ', 1, 'csv')).toBe('empty');
  });

  it('when the sniffer decided, then it hands over every byte it read', () => {
    const sniffer = new FormatSniffer();
    sniffer.push(Buffer.from('{"a":'));
    sniffer.push(Buffer.from('1}\n'));
    expect(sniffer.push(Buffer.from('{"b":2}\n'))).toBe('jsonl');
    expect(Buffer.concat(sniffer.takeBuffered()).toString()).toBe('{"a":1}\n{"b":2}\n');
  });
});
