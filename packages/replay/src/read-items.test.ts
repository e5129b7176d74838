import { describe, expect, it } from 'vitest';
import type { Format } from './detect-format.ts';
import type { ReaderEvent } from './items.ts';
import { readItems } from './read-items.ts';

async function events(text: string, override?: Format, pieceSize = 5): Promise<ReaderEvent[]> {
  const bytes = Buffer.from(text);
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += pieceSize) yield bytes.subarray(i, i + pieceSize);
  }
  const out: ReaderEvent[] = [];
  for await (const event of readItems(chunks(), override))
    out.push(event.kind === 'json' ? ({ ...event, bytes: event.bytes.toString() } as unknown as ReaderEvent) : event);
  return out;
}

describe('readItems', () => {
  it('when the file is JSON lines with a garbage line, then every line is an item located by line number', async () => {
    expect(await events('{"sessionId":"a"}\nnot json\n\n{"sessionId":"b"}')).toEqual([
      { kind: 'format', format: 'jsonl', detected: true },
      { kind: 'json', position: 1, location: 'line 1', bytes: '{"sessionId":"a"}' },
      { kind: 'json', position: 2, location: 'line 2', bytes: 'not json' },
      { kind: 'json', position: 4, location: 'line 4', bytes: '{"sessionId":"b"}' },
    ]);
  });

  it('when the file is a JSON array, then every element is an item located by element number', async () => {
    expect(await events('[{"sessionId":"a"},\n{"sessionId":"b"}]')).toEqual([
      { kind: 'format', format: 'json-array', detected: true },
      { kind: 'json', position: 1, location: 'element 1', bytes: '{"sessionId":"a"}' },
      { kind: 'json', position: 2, location: 'element 2', bytes: '{"sessionId":"b"}' },
    ]);
  });

  it('when the file is one pretty-printed push body, then it is one item', async () => {
    const body = '{\n "eventType": "fee",\n "feeLst": []\n}\n';
    expect(await events(body)).toEqual([
      { kind: 'format', format: 'push', detected: true },
      { kind: 'json', position: 1, location: 'push body', bytes: body },
    ]);
  });

  it('when the file is CSV, then every row is a record item', async () => {
    expect(await events('sessionId,direction\ns1,0\n')).toEqual([
      { kind: 'format', format: 'csv', detected: true },
      { kind: 'record', position: 2, location: 'row 2', record: { sessionId: 's1', direction: 0 } },
    ]);
  });

  it('when the file is empty, then that is the one file error', async () => {
    expect(await events('  \n')).toEqual([
      { kind: 'problem', severity: 'error', message: 'the file is empty (no data, or only whitespace)' },
    ]);
  });

  it('when the file is not in any known format, then the message says so and shows the start of the file', async () => {
    expect(await events('\u0000\u0001 binary stuff\nmore')).toEqual([
      { kind: 'format', format: 'csv', detected: true },
      { kind: 'problem', severity: 'error', message: expect.stringContaining('unrecognized format') as string },
    ]);
  });

  it('when a JSON array is asked for but the file is JSON lines, then that is a file error', async () => {
    expect(await events('{"a":1}\n{"b":2}\n', 'json-array')).toEqual([
      { kind: 'format', format: 'json-array', detected: false },
      { kind: 'problem', severity: 'error', message: expect.stringContaining("not a JSON array: expected '['") as string },
    ]);
  });
});
