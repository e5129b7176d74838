import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentKey, sameJson } from './canonical.ts';

const keys = fc.constantFrom('a', 'b', 'c', '0', '1', '10');
const leaves = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom('', 'x', 'y'),
  fc.constant(undefined),
);
/** JSON-like values (undefined included) whose objects take their keys from `keyNames`. */
const jsonLike = (keyNames: fc.Arbitrary<string>, maxKeys: number) =>
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      leaves,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(keyNames, tie('value'), { maxKeys }),
    ),
  })).value;
const values = jsonLike(keys, 4);

describe('canonicalJson', () => {
  it('sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: 1, c: 2 }] })).toBe('{"a":[3,{"c":2,"d":1}],"b":1}');
  });

  it('gives the text of JSON.stringify over entries sorted with <, the first definition, for any JSON-like value', () => {
    // The content keys stored in databases were computed with this definition: they must not move.
    const entriesSorted = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(entriesSorted);
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([key, inner]) => [key, entriesSorted(inner)]));
    };
    const wideKeys = fc.constantFrom('a', 'B', 'b', 'aa', '0', '1', '10', '-1', '__proto__', 'é', 'z', '');
    const wide = jsonLike(wideKeys, 6);
    fc.assert(
      fc.property(wide, (value) => {
        expect(canonicalJson(value)).toBe(JSON.stringify(entriesSorted(value)));
      }),
      { numRuns: 3_000 },
    );
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"y":1,"x":2}}'))).toBe('{"__proto__":{"x":2,"y":1},"b":1}');
  });

  it('keeps the content keys already stored in databases', () => {
    expect(contentKey({ eventType: 'callout', statusInfo: { sessionId: 's-1', timestamp: '2024-06-11 02:30:15' } })).toBe(
      'd9f3f9a449161185563dcfeb0ab7dc0ae9757765d8f40315e0e6a88830f72fd4',
    );
  });
});

describe('sameJson', () => {
  it('agrees with comparing canonical JSON texts, for any pair of JSON-like values', () => {
    // Small value spaces, so that equal pairs (and pairs equal up to key order or undefined) occur often.
    fc.assert(
      fc.property(values, values, (a, b) => {
        expect(sameJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        expect(sameJson(a, structuredClone(a))).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('ignores key order and properties holding undefined, but not missing array items', () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, gone: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([undefined], [null])).toBe(true);
    expect(sameJson([1], [1, 2])).toBe(false);
    expect(sameJson({ a: null }, {})).toBe(false);
  });
});
