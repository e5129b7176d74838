import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal content always has equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Content identity: two deliveries of the same event or CDR have the same key. */
export function contentKey(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  // The default sort orders by UTF-16 code units, as `<` does. Assignment would make a `__proto__`
  // key the prototype instead of a property, and JSON.stringify would then leave it out.
  for (const key of Object.keys(source).sort()) {
    if (key === '__proto__')
      Object.defineProperty(sorted, key, { value: sortKeys(source[key]), enumerable: true, writable: true, configurable: true });
    else sorted[key] = sortKeys(source[key]);
  }
  return sorted;
}

/**
 * Whether two JSON-like values have the same canonical JSON, without building either text: key
 * order does not matter and properties holding undefined count as absent, as in JSON.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => sameJson(item ?? null, b[index] ?? null));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let leftCount = 0;
  for (const key in left) {
    if (!Object.hasOwn(left, key) || left[key] === undefined) continue;
    leftCount += 1;
    if (!Object.hasOwn(right, key) || !sameJson(left[key], right[key])) return false;
  }
  let rightCount = 0;
  for (const key in right) if (Object.hasOwn(right, key) && right[key] !== undefined) rightCount += 1;
  return leftCount === rightCount;
}
