import type { Format } from './detect-format.ts';
import { formatBytes } from './bytes.ts';

export const recordStatuses = ['new', 'stored_identical', 'stored_different', 'invalid'] as const;
export type RecordStatus = (typeof recordStatuses)[number];

/** One record's verdict: every record in a dry run, only invalid ones when writing. */
export interface RecordReport {
  file: string;
  location: string;
  status: RecordStatus;
  kind?: 'cdr' | 'event';
  sessionId?: string;
  eventType?: string;
  differingFields?: string[];
  code?: string;
  reason?: string;
}

export interface FileProblem {
  file: string;
  severity: 'error' | 'warning';
  message: string;
}

export type Phase = 'check' | 'write' | 'dry-run';

export interface ProgressSnapshot {
  phase: Phase;
  file: string;
  records: number;
  bytesRead: number;
  /** Known when every input's size is (files, not standard input). */
  totalBytes: number | null;
  elapsedMs: number;
}

export interface FileSummary {
  file: string;
  format: Format | null;
  records: number;
  invalid: number;
  errors: string[];
  warnings: string[];
}

/** Totals of what `storeDeliveries` did; rows, not records (one batch's redeliveries of a CDR are one row). */
export interface StoreCounts {
  deliveriesStored: number;
  deliveriesAlreadyReplayed: number;
  cdrsInserted: number;
  cdrsRedelivered: number;
  eventsInserted: number;
  eventsRedelivered: number;
  callsCreated: number;
  callsUpdated: number;
  rejectedRecordsKept: number;
}

/**
 * Where a pass's time went. Reading (file, gunzip, splitting into items, CSV) and parsing
 * (validation and normalization) run one after the other on the main thread; storing runs
 * alongside them, up to WRITES_IN_FLIGHT batches at once, so `storeSeconds` (the batches' summed
 * durations) can exceed the elapsed time. The store's own JavaScript (building and serializing rows,
 * reading results) runs on the same thread while reading waits for its next chunk, so it shows in
 * `readSeconds` too. `storeWaitSeconds` is how long reading stood still
 * because every write slot was busy: near zero, the database keeps up and reading and parsing bound
 * the rate; large, the database does.
 */
export interface PhaseTimings {
  readSeconds: number;
  parseSeconds: number;
  storeSeconds: number;
  storeWaitSeconds: number;
}

export interface ReplaySummary {
  mode: 'write' | 'dry-run';
  strict: boolean;
  /** False in a dry run, and when --strict found a problem before writing. */
  written: boolean;
  /** The per-status counts other than invalid are known in a dry run only. */
  records: { total: number; invalid: number } & Partial<Record<Exclude<RecordStatus, 'invalid'>, number>>;
  /** Null in a dry run and when nothing was written. */
  stored: StoreCounts | null;
  fileErrors: number;
  files: FileSummary[];
  bytesRead: number;
  elapsedSeconds: number;
  recordsPerSecond: number;
  peakRssBytes: number;
  /** Of the last pass (the writing one with --strict). */
  timings: PhaseTimings;
}

/** 0 when every record and file was fine, 1 otherwise (usage errors, exit 2, never get this far). */
export function exitCodeOf(summary: ReplaySummary): 0 | 1 {
  return summary.records.invalid > 0 || summary.fileErrors > 0 ? 1 : 0;
}

export function formatRecordReport(report: RecordReport): string {
  const where = `${report.file} ${report.location}`;
  if (report.status === 'invalid') return `${where}: invalid [${report.code}] ${report.reason}`;
  const what = report.kind === 'event' ? `${report.eventType} event of ${report.sessionId}` : `CDR of ${report.sessionId}`;
  const fields =
    report.status === 'stored_different'
      ? `; differs in ${report.differingFields?.length ? report.differingFields.join(', ') : 'its content key only'}`
      : '';
  return `${where}: ${report.status} ${what}${fields}`;
}

export function formatProblem(problem: FileProblem): string {
  return `${problem.file}: ${problem.severity}: ${problem.message}`;
}

const count = (value: number) => value.toLocaleString('en-US');

export function formatSummary(summary: ReplaySummary): string[] {
  const r = summary.records;
  const pace = `${count(r.total)} records in ${summary.elapsedSeconds.toFixed(1)} s (${count(Math.round(summary.recordsPerSecond))} records/s, ${formatBytes(summary.bytesRead)} read, peak RSS ${formatBytes(summary.peakRssBytes)})`;
  const lines: string[] = [];
  if (summary.mode === 'dry-run') {
    lines.push(`dry run, nothing written: ${pace}`);
    lines.push(
      `  ${count(r.new ?? 0)} new, ${count(r.stored_identical ?? 0)} stored_identical, ${count(r.stored_different ?? 0)} stored_different, ${count(r.invalid)} invalid`,
    );
  } else if (!summary.written) {
    lines.push(
      `--strict: nothing written, because ${count(r.invalid)} invalid record(s) and ${count(summary.fileErrors)} file error(s) were found: ${pace}`,
    );
  } else {
    const s = summary.stored!;
    lines.push(`replayed ${pace}; ${count(r.invalid)} invalid`);
    lines.push(
      `  deliveries: ${count(s.deliveriesStored)} stored, ${count(s.deliveriesAlreadyReplayed)} already replayed before (skipped)`,
    );
    lines.push(
      `  cdrs: ${count(s.cdrsInserted)} new, ${count(s.cdrsRedelivered)} already stored (delivery counted); events: ${count(s.eventsInserted)} new, ${count(s.eventsRedelivered)} already stored`,
    );
    lines.push(
      `  calls: ${count(s.callsCreated)} created, ${count(s.callsUpdated)} updated; invalid records kept in rejected_pushes: ${count(s.rejectedRecordsKept)}`,
    );
  }
  const t = summary.timings;
  lines.push(
    `  time: read ${t.readSeconds.toFixed(1)} s, parse ${t.parseSeconds.toFixed(1)} s, ${summary.mode === 'dry-run' ? 'look up' : 'store'} ${t.storeSeconds.toFixed(1)} s (batches overlap reading; reading waited ${t.storeWaitSeconds.toFixed(1)} s for the database)`,
  );
  for (const file of summary.files) {
    const problems = [...file.errors.map((message) => `error: ${message}`), ...file.warnings.map((message) => `warning: ${message}`)];
    lines.push(
      `  ${file.file} (${file.format ?? 'unread'}): ${count(file.records)} records, ${count(file.invalid)} invalid${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`,
    );
  }
  return lines;
}
