import type { Anomaly } from './anomaly.ts';

/** Real pushes nest three levels deep; anything far deeper is an attack on recursive consumers. */
export const MAX_JSON_DEPTH = 16;

type Container = Record<string, unknown> | unknown[];
/** A container on the walk, with the way back to the root so a path is built only when needed. */
type Visit = [container: Container, depth: number, parent: Visit | null, key: string | number];

/**
 * Walks the parsed body once, iteratively (a hostile 100k-deep body cannot overflow the stack):
 * stops at excessive nesting, and replaces text Postgres cannot store — NUL, or a lone surrogate
 * from a `\ud800` escape — by U+FFFD in place, in values and keys alike, recording each
 * replacement. The caller keeps the original bytes, so nothing the platform sent is lost.
 */
export function makeStorable(body: unknown, anomalies: Anomaly[]): 'too_deep' | null {
  if (body === null || typeof body !== 'object') return null;
  const stack: Visit[] = [[body as Container, 1, null, '']];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const [container, depth] = visit;
    if (depth > MAX_JSON_DEPTH) return 'too_deep';
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index += 1) {
        const child = container[index];
        if (typeof child === 'string') {
          if (!isStorableText(child)) container[index] = replaced(child, pathOf(visit, index), anomalies);
        } else if (child !== null && typeof child === 'object') {
          stack.push([child as Container, depth + 1, visit, index]);
        }
      }
      continue;
    }
    let keysStorable = true;
    for (const key of Object.keys(container)) {
      if (!isStorableText(key)) keysStorable = false;
      const child = container[key];
      if (typeof child === 'string') {
        if (!isStorableText(child)) container[key] = replaced(child, pathOf(visit, key), anomalies);
      } else if (child !== null && typeof child === 'object') {
        stack.push([child as Container, depth + 1, visit, key]);
      }
    }
    if (!keysStorable) replaceKeys(container, visit, anomalies);
  }
  return null;
}

/** Rebuilds the object in its key order; defineProperty, so a `__proto__` key stays a plain key. */
function replaceKeys(object: Record<string, unknown>, visit: Visit, anomalies: Anomaly[]): void {
  const entries = Object.entries(object);
  for (const [key] of entries) delete object[key];
  for (const [key, value] of entries) {
    const storable = isStorableText(key) ? key : replaced(key, pathOf(visit, key), anomalies);
    Object.defineProperty(object, storable, { value, enumerable: true, writable: true, configurable: true });
  }
}

function replaced(text: string, field: string, anomalies: Anomaly[]): string {
  anomalies.push({ field, code: 'unstorable_text_replaced', value: JSON.stringify(text) });
  return storable(text);
}

function storable(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\ufffd');
}

function pathOf(visit: Visit, key: string | number): string {
  const parts: Array<string | number> = [key];
  for (let at: Visit | null = visit; at !== null && at[2] !== null; at = at[2]) parts.unshift(at[3]);
  return parts.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${storable(part)}`)).join('');
}

export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
