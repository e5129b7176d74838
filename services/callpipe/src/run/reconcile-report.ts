import type { ReconcileCall } from '@callpipe/db';
import type { Reconciliation } from './reconcile.ts';

/** How many of each list the table shows; csv and json have them all. */
const LISTED = 20;
const UNKNOWN_APP = '(unknown)';

/** The platform's own time format (UTC), as support reads CDR times. */
function platformTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

function csvField(value: string | null): string {
  const text = value ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The missing CDRs as a CSV file to send to Huawei support: one call per line, end times in UTC like the CDRs'. */
export function missingCdrsCsv(calls: readonly ReconcileCall[]): string[] {
  return [
    'sessionId,appKey,business,callEndTimeUtc',
    ...calls.map((call) => [call.sessionId, call.appKey, call.business, platformTime(call.endedAt)].map(csvField).join(',')),
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function listed(title: string, calls: readonly ReconcileCall[], columns: (call: ReconcileCall) => string): string[] {
  if (calls.length === 0) return [];
  const more = calls.length > LISTED ? [`  … and ${calls.length - LISTED} more (--format csv or json lists them all)`] : [];
  return ['', `${title} (${calls.length}):`, ...calls.slice(0, LISTED).map((call) => `  ${columns(call)}`), ...more];
}

/** The report for people: the per-app, per-day table, then the lists. */
export function describeReconciliation(result: Reconciliation): string[] {
  const { period, apps, missingCdrs, cdrsWithoutStatus, disagreements } = result;
  const total = (key: 'started' | 'ended' | 'cdrs' | 'missingCdrs' | 'cdrsWithoutStatus' | 'disagreements') =>
    String(apps.reduce((sum, row) => sum + row[key], 0));
  const rows = apps.map((row) => [
    row.appKey ?? UNKNOWN_APP,
    row.day,
    ...[row.started, row.ended, row.cdrs, row.missingCdrs, row.cdrsWithoutStatus, row.disagreements].map(String),
  ]);
  const totals = [
    'total',
    '',
    total('started'),
    total('ended'),
    total('cdrs'),
    total('missingCdrs'),
    total('cdrsWithoutStatus'),
    total('disagreements'),
  ];
  return [
    `reconcile ${period.from} … ${period.to} (billing days in ${period.timeZone}), CDRs missing when not here ${period.horizon} after the call ended (before ${period.endedBefore})${period.appKey === null ? '' : `, app ${period.appKey} and calls of unknown app`}`,
    ...table(
      ['app', 'day', 'started', 'ended', 'cdrs', 'missing cdr', 'cdr, no status', 'disagree'],
      [...rows, ...(rows.length > 1 ? [totals] : [])],
    ),
    ...listed(
      'calls ended without a CDR',
      missingCdrs,
      (call) => `${call.sessionId}  ${call.appKey ?? UNKNOWN_APP}  ${call.business ?? '-'}  ended ${platformTime(call.endedAt)} UTC`,
    ),
    ...listed(
      'CDRs without any status event',
      cdrsWithoutStatus,
      (call) => `${call.sessionId}  ${call.appKey ?? UNKNOWN_APP}  ${call.business ?? '-'}  ended ${platformTime(call.endedAt)} UTC`,
    ),
    ...(disagreements.length === 0
      ? []
      : [
          '',
          `status events and CDR disagree (${disagreements.length}):`,
          ...disagreements
            .slice(0, LISTED)
            .map((d) => `  ${d.sessionId}  ${d.field}: status ${d.status ?? 'none'}, CDR ${d.cdr ?? 'none'}`),
          ...(disagreements.length > LISTED ? [`  … and ${disagreements.length - LISTED} more (--format json lists them all)`] : []),
        ]),
    '',
    missingCdrs.length === 0
      ? 'no CDR is missing'
      : `${missingCdrs.length} CDRs missing: send the list to Huawei support (--format csv), then replay the file they send back (callpipe replay)`,
  ];
}
