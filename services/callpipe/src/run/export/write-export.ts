import {
  CALL_EVENT_EXPORT_COLUMNS,
  CALL_EXPORT_COLUMNS,
  CDR_EXPORT_COLUMNS,
  cdrRecordFieldNames,
  exportCallEvents,
  exportCalls,
  exportCdrs,
  inExportSnapshot,
  type Db,
  type ExportColumnKind,
  type ExportSelection,
} from '@callpipe/db';
import type { CliIo } from '../../commands/context.ts';
import type { ExportDataset, ExportFormat } from '../export.ts';
import { cdrCsvFieldNames, CdrCsvEncoder, TableCsvEncoder } from './csv.ts';
import { openDestination } from './destination.ts';
import { ParquetEncoder } from './parquet.ts';
import { jsonObjectOf } from './values.ts';

/** Rows per query: a thousand keep each query short and a page of parsed rows well inside a 96 MB heap. */
export const EXPORT_PAGE_ROWS = 1_000;

export interface ExportPlan {
  dataset: ExportDataset;
  format: ExportFormat;
  gzip: boolean;
  /** Absolute path, or null for stdout. */
  file: string | null;
  timeZone: string;
  selection: ExportSelection;
}

export interface ExportSummary {
  dataset: ExportDataset;
  format: ExportFormat;
  gzip: boolean;
  rows: number;
  /** Bytes written, after compression. */
  bytes: number;
  durationSeconds: number;
  period: { from: string; to: string; timeZone: string };
  file: string | null;
  /** The process's peak resident memory so far: an export's memory stays a page and a row group, whatever the rows. */
  peakRssBytes: number;
  /** cdrs as csv: records that replay would read back changed (see CdrCsvEncoder). */
  csvInexactRecords?: number;
}

type Row = Readonly<Record<string, unknown>>;

/** Turns pages of rows into the bytes of one format. */
interface Encoder {
  begin(): Array<string | Uint8Array>;
  page(rows: readonly Row[]): Array<string | Uint8Array>;
  end(): Array<string | Uint8Array>;
}

const COLUMNS: Record<ExportDataset, Readonly<Record<string, ExportColumnKind>>> = {
  cdrs: CDR_EXPORT_COLUMNS,
  calls: CALL_EXPORT_COLUMNS,
  events: CALL_EVENT_EXPORT_COLUMNS,
};

function readRows(db: Db, dataset: ExportDataset, selection: ExportSelection, onPage: (rows: Row[]) => Promise<void>): Promise<void> {
  const paging = { pageSize: EXPORT_PAGE_ROWS, onPage };
  if (dataset === 'cdrs') return exportCdrs(db, selection, paging);
  if (dataset === 'calls') return exportCalls(db, selection, paging);
  return exportCallEvents(db, selection, paging);
}

async function encoderFor(db: Db, plan: ExportPlan, counts: { inexact: number }): Promise<Encoder> {
  const columns = COLUMNS[plan.dataset];
  if (plan.format === 'parquet') {
    const parquet = new ParquetEncoder(columns, 'callpipe export');
    return { begin: () => [], page: (rows) => parquet.rows(rows), end: () => parquet.end() };
  }
  if (plan.dataset === 'cdrs' && plan.format === 'csv') {
    const csv = new CdrCsvEncoder(cdrCsvFieldNames(await cdrRecordFieldNames(db, plan.selection)));
    return {
      begin: () => [csv.header()],
      page: (rows) => [
        rows
          .map((row) => {
            const { line, exact } = csv.row(row['record']);
            if (!exact) counts.inexact += 1;
            return line;
          })
          .join(''),
      ],
      end: () => [],
    };
  }
  if (plan.dataset === 'cdrs') {
    return { begin: () => [], page: (rows) => [rows.map((row) => `${JSON.stringify(row['record'])}\n`).join('')], end: () => [] };
  }
  if (plan.format === 'csv') {
    const csv = new TableCsvEncoder(columns);
    return { begin: () => [csv.header()], page: (rows) => [rows.map((row) => csv.row(row)).join('')], end: () => [] };
  }
  return { begin: () => [], page: (rows) => [rows.map((row) => `${jsonObjectOf(row, columns)}\n`).join('')], end: () => [] };
}

/** Reads the period's rows in one snapshot and writes them out; a failure leaves no file behind. */
export async function writeExport(db: Db, plan: ExportPlan, io: Pick<CliIo, 'err' | 'errIsTTY' | 'stdout'>): Promise<ExportSummary> {
  const started = performance.now();
  const destination = openDestination({ file: plan.file, gzip: plan.gzip, stdout: io.stdout });
  const counts = { rows: 0, inexact: 0 };
  const progress = progressLine(io, plan.dataset, started);
  let bytes: number;
  try {
    await inExportSnapshot(db, async (trx) => {
      const encoder = await encoderFor(trx, plan, counts);
      for (const chunk of encoder.begin()) await destination.write(chunk);
      await readRows(trx, plan.dataset, plan.selection, async (rows) => {
        for (const chunk of encoder.page(rows)) await destination.write(chunk);
        counts.rows += rows.length;
        progress.update(counts.rows);
      });
      for (const chunk of encoder.end()) await destination.write(chunk);
    });
    bytes = await destination.finish();
  } catch (error) {
    await destination.abort();
    throw error;
  } finally {
    progress.finish();
  }
  return {
    dataset: plan.dataset,
    format: plan.format,
    gzip: plan.gzip,
    rows: counts.rows,
    bytes,
    durationSeconds: Math.round(performance.now() - started) / 1000,
    period: { from: plan.selection.from.toISOString(), to: plan.selection.to.toISOString(), timeZone: plan.timeZone },
    file: plan.file,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(plan.dataset === 'cdrs' && plan.format === 'csv' ? { csvInexactRecords: counts.inexact } : {}),
  };
}

/** On a terminal, one line redrawn at most once a second with the rows so far and the rate; nothing elsewhere. */
function progressLine(io: Pick<CliIo, 'err' | 'errIsTTY'>, dataset: string, started: number) {
  let last = started;
  let drawn = false;
  return {
    update(rows: number) {
      if (!io.errIsTTY) return;
      const now = performance.now();
      if (now - last < 1_000) return;
      last = now;
      const rate = Math.round(rows / ((now - started) / 1000));
      io.err(`\r\u001b[2Kexport ${dataset}: ${rows.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s`);
      drawn = true;
    },
    finish() {
      if (drawn) io.err('\r\u001b[2K');
    },
  };
}
