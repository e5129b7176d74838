import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { ingestEnvSchema, inspectSpool, type SpoolReport } from '@callpipe/ingest';
import { errorCode, parseEnv } from '@callpipe/runtime';
import { checkOptions, usageError, type CliIo, type Outcome } from '../commands/context.ts';
import type { SpoolAction } from '../commands/spool.ts';

/** The ingest's own variable and default, so the command looks where the ingest writes. */
export const spoolEnvSchema = ingestEnvSchema.pick({ INGEST_SPOOL_DIR: true, LOG_LEVEL: true });
export type SpoolEnv = z.infer<typeof spoolEnvSchema>;
export const parseSpoolEnv = (env: NodeJS.ProcessEnv): SpoolEnv => parseEnv(spoolEnvSchema, env);

const optionsSchema = z.object({ dir: z.string().min(1, 'must not be empty').optional() });

/** What commander parsed, before the values are checked. */
export interface SpoolFlags {
  dir?: string;
  json?: true;
}

export async function spool(
  action: SpoolAction,
  command: CommandUnknownOpts,
  flags: SpoolFlags,
  env: NodeJS.ProcessEnv,
  io: Pick<CliIo, 'out'>,
): Promise<Outcome> {
  const options = checkOptions(command, optionsSchema, { dir: flags.dir });
  const config = parseSpoolEnv(env);
  const [dir, source] = options.dir === undefined ? [config.INGEST_SPOOL_DIR, 'INGEST_SPOOL_DIR'] : [options.dir, '--dir'];
  const problem = await directoryProblem(dir);
  if (problem) return usageError(command, `${source} ${dir}: ${problem}`);
  return runSpool(action, resolve(dir), flags.json === true, io);
}

async function directoryProblem(dir: string): Promise<string | null> {
  try {
    return (await stat(dir)).isDirectory() ? null : 'not a directory';
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'no such directory';
    throw error;
  }
}

/** `callpipe spool status|verify`: the spool as inspectSpool reads it, which changes nothing. */
export async function runSpool(action: SpoolAction, dir: string, json: boolean, io: Pick<CliIo, 'out'>): Promise<number> {
  const report = await inspectSpool(dir);
  if (action === 'status') {
    if (json) io.out(JSON.stringify(report));
    else for (const line of describeStatus(report)) io.out(line);
    return 0;
  }
  const verdict = verify(report);
  if (json) io.out(JSON.stringify(verdict));
  else for (const line of describeVerdict(verdict)) io.out(line);
  return verdict.clean ? 0 : 1;
}

export interface SpoolVerdict {
  dir: string;
  /** No damaged record in the segments and nothing in quarantine/; torn tails were never acked. */
  clean: boolean;
  segments: number;
  records: number;
  bytes: number;
  badRecords: Array<{ segment: string; offset: number; length: number; reason: string }>;
  tornTails: Array<{ segment: string; offset: number; bytes: number }>;
  quarantined: number;
  lock: SpoolReport['lock'];
}

export function verify(report: SpoolReport): SpoolVerdict {
  const badRecords = report.segments.flatMap((segment) => segment.badRecords.map((bad) => ({ segment: segment.name, ...bad })));
  const tornTails = report.segments.flatMap((segment) => (segment.tornTail ? [{ segment: segment.name, ...segment.tornTail }] : []));
  return {
    dir: report.dir,
    clean: badRecords.length === 0 && report.quarantined === 0,
    segments: report.segments.length,
    records: report.records,
    bytes: report.bytes,
    badRecords,
    tornTails,
    quarantined: report.quarantined,
    lock: report.lock,
  };
}

const n = (value: number) => value.toLocaleString('en-US');
const plural = (count: number, noun: string) => `${n(count)} ${noun}${count === 1 ? '' : 's'}`;

function describeLock(lock: SpoolReport['lock']): string {
  if (lock === null) return 'lock: none (no ingest is using this spool)';
  if (lock.alive) return `lock: held by process ${lock.pid} (running)`;
  return `lock: process ${lock.pid} is not running (a stale lock; the next ingest start takes it over)`;
}

function describeQuarantine(report: { dir: string; quarantined: number }): string[] {
  if (report.quarantined === 0) return [];
  return [
    `${plural(report.quarantined, 'damaged record')} kept in ${report.dir}/quarantine/ by earlier drains: probably acked pushes that are not in Postgres (RUNBOOK.md, CallpipeSpoolQuarantined)`,
  ];
}

export function describeStatus(report: SpoolReport): string[] {
  const rows = report.segments.map((segment) => [
    segment.name,
    segment.format,
    n(segment.records),
    n(segment.bytes),
    segment.oldestReceivedAt ?? '-',
    [
      ...(segment.badRecords.length > 0 ? [plural(segment.badRecords.length, 'damaged record')] : []),
      ...(segment.tornTail ? [`torn tail of ${plural(segment.tornTail.bytes, 'byte')}`] : []),
    ].join(', ') || '-',
  ]);
  return [
    `spool ${report.dir}: ${plural(report.segments.length, 'segment')}, ${plural(report.records, 'record')}, ${plural(report.bytes, 'byte')}; ${plural(report.badRecords, 'damaged record')}, ${n(report.quarantined)} quarantined`,
    describeLock(report.lock),
    ...(rows.length > 0 ? table(['segment', 'format', 'records', 'bytes', 'oldest record', 'problems'], rows, [2, 3]) : []),
    ...describeQuarantine(report),
    ...(report.badRecords > 0 ? ['run `callpipe spool verify` for the offsets of the damaged records'] : []),
  ];
}

export function describeVerdict(verdict: SpoolVerdict): string[] {
  const inProgress = verdict.lock?.alive === true ? ' (or a write in progress)' : '';
  const rows = [
    ...verdict.badRecords.map((bad) => [bad.segment, n(bad.offset), n(bad.length), `${bad.reason}: a drain quarantines it`]),
    ...verdict.tornTails.map((torn) => [
      torn.segment,
      n(torn.offset),
      n(torn.bytes),
      `torn tail: an incomplete last write, never acked; a drain skips it${inProgress}`,
    ]),
  ];
  return [
    `spool ${verdict.dir}: ${plural(verdict.segments, 'segment')} checked, ${plural(verdict.records, 'good record')}, ${plural(verdict.badRecords.length, 'damaged record')}, ${plural(verdict.tornTails.length, 'torn tail')}, ${n(verdict.quarantined)} quarantined`,
    ...(rows.length > 0 ? table(['segment', 'offset', 'bytes', 'problem'], rows, [1, 2]) : []),
    ...describeQuarantine(verdict),
    verdict.clean ? 'verify: clean' : 'verify: NOT clean (exit 1)',
  ];
}

/** Left-aligned columns, the numeric ones (by index) right-aligned; two spaces between. */
function table(header: string[], rows: string[][], numeric: number[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
