import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { businesses, parsePeriodBound } from '@callpipe/events';
import { parseEnv } from '@callpipe/runtime';
import { billingEnvShape } from '@callpipe/worker';
import { exportFormats, type exportDatasets } from '../commands/export.ts';
import { checkOptions, usageError, type CliIo, type Outcome } from '../commands/context.ts';
import { migrateEnvSchema } from '../env.ts';
import { withCommandDatabase } from './database.ts';
import { writeExport, type ExportPlan, type ExportSummary } from './export/write-export.ts';

/** export reads the database and cuts periods where the customer's books do. */
export const exportEnvSchema = z.object({ DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL, ...billingEnvShape });
export type ExportEnv = z.infer<typeof exportEnvSchema>;

export type ExportDataset = (typeof exportDatasets)[number];
export type ExportFormat = (typeof exportFormats)[number];

const optionsSchema = z.object({
  appKey: z.string().min(1).optional(),
  business: z.enum(businesses).optional(),
  format: z.enum(exportFormats).optional(),
});

/** What commander parsed, before the values are checked. */
export interface ExportFlags {
  from: string;
  to: string;
  appKey?: string;
  business?: string;
  format?: string;
  gzip?: true;
  out?: string;
  json?: true;
}

/** The format an --out name implies when --format is not given. */
export function formatOfFileName(file: string): ExportFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.csv')) return 'csv';
  return undefined;
}

export async function exportTable(
  command: CommandUnknownOpts,
  dataset: ExportDataset,
  flags: ExportFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const checked = checkOptions(command, optionsSchema, { appKey: flags.appKey, business: flags.business, format: flags.format });
  const config = parseEnv(exportEnvSchema, env);
  const timeZone = config.CALLPIPE_BILLING_TIME_ZONE;
  const from = periodBound(command, '--from', flags.from, timeZone);
  const to = periodBound(command, '--to', flags.to, timeZone);
  if (from.getTime() >= to.getTime()) {
    usageError(
      command,
      `--from must be before --to: ${flags.from} is ${from.toISOString()} and ${flags.to} is ${to.toISOString()} (${timeZone})`,
    );
  }
  const file = flags.out === undefined || flags.out === '-' ? null : resolve(flags.out);
  if (file !== null) {
    const directory = dirname(file);
    if (!existsSync(directory) || !statSync(directory).isDirectory())
      usageError(command, `--out: the directory ${directory} does not exist`);
    if (existsSync(file) && statSync(file).isDirectory()) usageError(command, `--out: ${file} is a directory`);
  }
  if (flags.json === true && file === null) {
    usageError(
      command,
      '--json writes the summary to stdout, which holds the exported data without --out FILE: give --out FILE, or leave out --json (the summary then goes to stderr)',
    );
  }
  const format = checked.format ?? (file === null ? undefined : formatOfFileName(file)) ?? 'csv';
  const gzip = flags.gzip === true || (file !== null && file.toLowerCase().endsWith('.gz'));
  if (format === 'parquet' && gzip) {
    usageError(
      command,
      'parquet is compressed inside (snappy) and readers expect it bare: leave out --gzip and the .gz of --out; --gzip is for csv and ndjson',
    );
  }
  const plan: ExportPlan = {
    dataset,
    format,
    gzip,
    file,
    timeZone,
    selection: { from, to, appKey: checked.appKey, business: checked.business },
  };
  return runExport(plan, config, io, flags.json === true);
}

function periodBound(command: CommandUnknownOpts, flag: string, text: string, timeZone: string): Date {
  const instant = parsePeriodBound(text, timeZone);
  if (instant !== null) return instant;
  return usageError(
    command,
    `${flag}: ${JSON.stringify(text)} is not a day (2026-12-01), a wall time (2026-12-01T08:30, both in ${timeZone}) or an instant with an offset (2026-11-30T16:00:00Z)`,
  );
}

/** `callpipe export`: one table's rows of a period, to a file or stdout. */
export async function runExport(plan: ExportPlan, config: ExportEnv, io: CliIo, json: boolean): Promise<number> {
  const summary = await withCommandDatabase(config.DATABASE_URL, 'export', (db) => writeExport(db, plan, io));
  if (json) io.out(JSON.stringify(summary));
  else io.err(`${describeSummary(summary)}\n`);
  if (summary.csvInexactRecords !== undefined && summary.csvInexactRecords > 0) {
    io.err(
      `export: ${summary.csvInexactRecords.toLocaleString('en-US')} records hold values a CSV cell cannot carry as received (empty text, text that looks like an integer in an integer field, or values that are neither text nor integers): replay reads them back changed; use --format ndjson to keep them exact\n`,
    );
  }
  return 0;
}

function describeSummary(summary: ExportSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return `export ${summary.dataset}: ${n(summary.rows)} rows, ${n(summary.bytes)} bytes ${summary.format}${summary.gzip ? '.gz' : ''} to ${summary.file ?? 'stdout'} in ${summary.durationSeconds.toFixed(1)} s; period [${summary.period.from}, ${summary.period.to}) (${summary.period.timeZone} days)`;
}
