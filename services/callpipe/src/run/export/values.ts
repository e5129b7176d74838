import type { ExportColumnKind } from '@callpipe/db';

/** A column's value as text (CSV): timestamps ISO-8601 UTC, JSON columns as JSON, NULL as null. */
export function textOf(value: unknown, kind: ExportColumnKind): string | null {
  if (value === null || value === undefined) return null;
  if (kind === 'json') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A table row as one JSON object, columns in table order; JSON columns stay nested, timestamps ISO-8601 UTC. */
export function jsonObjectOf(row: Readonly<Record<string, unknown>>, columns: Readonly<Record<string, ExportColumnKind>>): string {
  const object: Record<string, unknown> = {};
  for (const name of Object.keys(columns)) object[name] = row[name] ?? null;
  return JSON.stringify(object);
}
