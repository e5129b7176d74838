import type { Format } from './detect-format.ts';

/**
 * One unit of a replay file: a JSON text (a push body or a bare CDR record), or a CSV row already
 * turned into a record, or something unreadable. `position` numbers items within their file and
 * is part of the delivery id; `location` says where to find the item (`line 12`, `element 3`, `row 5`).
 */
export type Item =
  | { kind: 'json'; position: number; location: string; bytes: Buffer }
  | { kind: 'record'; position: number; location: string; record: Record<string, unknown> }
  | { kind: 'invalid'; position: number; location: string; code: string; reason: string };

/** What a file reader produces: items, the format it settled on, and problems with the file as a whole. */
export type ReaderEvent =
  Item | { kind: 'format'; format: Format; detected: boolean } | { kind: 'problem'; severity: 'error' | 'warning'; message: string };

export type Problem = Extract<ReaderEvent, { kind: 'problem' }>;

export function fileError(message: string): Problem {
  return { kind: 'problem', severity: 'error', message };
}

export function fileWarning(message: string): Problem {
  return { kind: 'problem', severity: 'warning', message };
}

/** A reader for one format: fed the file's bytes chunk by chunk; `stopped` once the file is beyond use. */
export interface FormatReader {
  push(chunk: Buffer): ReaderEvent[];
  end(): ReaderEvent[];
  readonly stopped: boolean;
}
