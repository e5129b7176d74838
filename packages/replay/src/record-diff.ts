import { canonicalJson } from '@callpipe/events';

/**
 * Top-level fields whose values differ between what is stored and what was read, sorted by name.
 * An absent field and a null one count as different: they give different content keys.
 */
export function differingFields(stored: unknown, incoming: Record<string, unknown>): string[] {
  const before = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const names = new Set([...Object.keys(before), ...Object.keys(incoming)]);
  return [...names].filter((name) => valueText(before, name) !== valueText(incoming, name)).sort();
}

function valueText(record: Record<string, unknown>, name: string): string {
  return Object.hasOwn(record, name) ? canonicalJson(record[name]) : '(absent)';
}
