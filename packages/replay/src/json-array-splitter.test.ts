import { describe, expect, it } from 'vitest';
import { JsonArraySplitter, type ArrayEvent } from './json-array-splitter.ts';

function split(text: string, pieceSize: number, maxBytes?: number) {
  const bytes = Buffer.from(text);
  const splitter = new JsonArraySplitter(maxBytes);
  const events: ArrayEvent[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) events.push(...splitter.push(bytes.subarray(i, i + pieceSize)));
  events.push(...splitter.end());
  return events.map((event) => (event.kind === 'element' ? { element: event.element, json: parseOrText(event.bytes.toString()) } : event));
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparsed: text };
  }
}

describe('JsonArraySplitter', () => {
  it('when elements hold strings with brackets, commas, escaped quotes and nesting, then each top-level element comes out whole, whatever the chunking', () => {
    const elements = [{ a: '[,]{"}', b: [1, { c: '\\"' }] }, 'text, with ] and \\', 42, null, [[], {}], { 语音: '通话' }];
    const text = ` \n[ ${elements.map((element) => JSON.stringify(element, null, 1)).join(' ,\n')} ]\n `;
    for (const size of [1, 2, 5, 64, 100_000]) {
      expect(split(text, size)).toEqual(elements.map((json, index) => ({ element: index + 1, json })));
    }
  });

  it('when the array is empty, then there are no elements and no problems', () => {
    expect(split('[ ]', 1)).toEqual([]);
  });

  it('when an element is garbage, then it comes out as it is (to be rejected) and the next element is read', () => {
    expect(split('[{"a":1} x y, {"b":2}]', 3)).toEqual([
      { element: 1, json: { unparsed: '{"a":1} x y' } },
      { element: 2, json: { b: 2 } },
    ]);
  });

  it('when the file ends inside an element, then the complete elements come out and the cut is a fatal problem naming the element', () => {
    expect(split('[{"a":1},{"b":"tru', 4)).toEqual([
      { element: 1, json: { a: 1 } },
      { kind: 'fatal', message: expect.stringContaining('element 2 is cut off') as string },
    ]);
  });

  it('when the file ends after a complete element without the closing bracket, then that element still comes out', () => {
    expect(split('[{"a":1},{"b":2}', 4)).toEqual([
      { element: 1, json: { a: 1 } },
      { element: 2, json: { b: 2 } },
      { kind: 'fatal', message: expect.stringContaining('truncated JSON array') as string },
    ]);
  });

  it('when content follows the closing bracket, then that is a fatal problem', () => {
    expect(split('[1]\n[2]', 2)).toEqual([
      { element: 1, json: 1 },
      { kind: 'fatal', message: expect.stringContaining("after the array's closing ']'") as string },
    ]);
  });

  it('when the input is not an array, then it is a fatal problem', () => {
    expect(split('{"a":1}', 3)).toEqual([{ kind: 'fatal', message: expect.stringContaining("expected '['") as string }]);
  });

  it('when a comma is followed by the closing bracket, then a warning says so', () => {
    expect(split('[1,]', 1)).toEqual([
      { element: 1, json: 1 },
      { kind: 'warning', message: expect.stringContaining('comma after element 1') as string },
    ]);
  });

  it('when an element is larger than the limit, then it is reported as too large and the next one is read', () => {
    expect(split(`["${'x'.repeat(100)}", 7]`, 16, 50)).toEqual([
      { kind: 'tooLarge', element: 1 },
      { element: 2, json: 7 },
    ]);
  });
});
