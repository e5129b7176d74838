import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { findRejected, listRejected, type RejectedRow, type RejectedSummary } from '@callpipe/db';
import { decodeBody } from '@callpipe/events';
import { maskPhoneNumbersIn, parseEnv } from '@callpipe/runtime';
import { billingEnvShape, readmitRejected, workerEnvSchema, type ReadmitResult } from '@callpipe/worker';
import { checkOptions, usageError, type CliIo, type Outcome } from '../commands/context.ts';
import { migrateEnvSchema } from '../env.ts';
import { withCommandDatabase } from './database.ts';

/** `list` and `show` only read the table. */
export const rejectedReadEnvSchema = z.object({ DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL });
/** `readmit` parses and protects numbers as the worker does, so it needs the worker's settings for that. */
export const readmitEnvSchema = rejectedReadEnvSchema.extend({
  CALLPIPE_APP_BUSINESS: workerEnvSchema.shape.CALLPIPE_APP_BUSINESS,
  CALLPIPE_NUMBER_HASH_KEY: workerEnvSchema.shape.CALLPIPE_NUMBER_HASH_KEY,
  ...billingEnvShape,
});

const instant = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO time, e.g. 2024-06-11T00:00:00Z')
  .transform((value) => new Date(value).toISOString());

const filterShape = { code: z.string().min(1).optional(), since: instant.optional(), until: instant.optional() };
const sinceBeforeUntil = {
  check: (options: { since?: string; until?: string }) => !options.since || !options.until || options.since < options.until,
  issue: { message: '--since must be before --until', path: ['since'] },
};

const listSchema = z
  .object({ ...filterShape, limit: z.coerce.number().int().min(1).max(100_000).default(50) })
  .refine(sinceBeforeUntil.check, sinceBeforeUntil.issue);
const readmitSchema = z
  .object({ ...filterShape, batchSize: z.coerce.number().int().min(1).max(5_000).default(200) })
  .refine(sinceBeforeUntil.check, sinceBeforeUntil.issue);
// bigint ids: digits only, so a typo is a usage error rather than a Postgres one.
const ROW_ID = /^\d{1,18}$/;

/** What commander parsed, before the values are checked. */
export interface RejectedListFlags {
  code?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: true;
}
export interface RejectedShowFlags {
  unmasked?: true;
  json?: true;
}
export interface RejectedReadmitFlags {
  code?: string;
  since?: string;
  until?: string;
  dryRun?: true;
  json?: true;
  batchSize?: string;
}

/** `callpipe rejected list`. */
export async function rejectedList(
  command: CommandUnknownOpts,
  flags: RejectedListFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const options = checkOptions(command, listSchema, flags);
  const config = parseEnv(rejectedReadEnvSchema, env);
  const rows = await withCommandDatabase(config.DATABASE_URL, 'rejected', (db) => listRejected(db, options));
  if (flags.json) for (const row of rows) io.out(JSON.stringify(listEntry(row)));
  else for (const line of formatTable(rows.map(listEntry))) io.out(line);
  io.err(
    `${rows.length} rejected ${rows.length === 1 ? 'row' : 'rows'}${rows.length === options.limit ? ' (the limit; there may be more)' : ''}\n`,
  );
  return 0;
}

function listEntry(row: RejectedSummary) {
  return {
    id: row.id,
    receivedAt: row.receivedAt.toISOString(),
    stage: row.stage,
    reasonCode: row.reasonCode,
    source: row.source,
    recordIndex: row.recordIndex,
    bodyTruncated: row.bodyTruncated,
    readmittedAt: row.readmittedAt?.toISOString() ?? null,
    readmittedAs: row.readmittedAs,
    preview: preview(row.head),
  };
}

/** The start of the body on one line, numbers masked; a cut multi-byte character at the end becomes U+FFFD. */
function preview(head: Buffer, length = 60): string {
  const decoded = decodeBody(head);
  const text = decoded.ok ? decoded.text : '';
  const line = maskPhoneNumbersIn(text).replace(/\s+/g, ' ').trim();
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

function formatTable(entries: ReadonlyArray<ReturnType<typeof listEntry>>): string[] {
  const header = ['id', 'received_at', 'stage', 'reason_code', 'source', 'record', 'readmitted', 'preview'];
  const cells = entries.map((entry) => [
    entry.id,
    entry.receivedAt,
    entry.stage,
    entry.reasonCode,
    entry.source,
    entry.recordIndex === null ? '-' : String(entry.recordIndex),
    entry.readmittedAt === null ? '-' : `${entry.readmittedAt} as ${entry.readmittedAs}`,
    entry.preview,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)];
}

/** `callpipe rejected show ID`. */
export async function rejectedShow(
  command: CommandUnknownOpts,
  id: string,
  flags: RejectedShowFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  if (!ROW_ID.test(id)) return usageError(command, `rejected show: "${id}" is not a row id (the id column of \`callpipe rejected list\`)`);
  const config = parseEnv(rejectedReadEnvSchema, env);
  const row = await withCommandDatabase(config.DATABASE_URL, 'rejected', (db) => findRejected(db, id));
  if (row === undefined) {
    io.err(`callpipe: rejected show: no rejected push or record has the id ${id}\n`);
    return 1;
  }
  const shown = showEntry(row, flags.unmasked !== true);
  if (flags.json) io.out(JSON.stringify(shown));
  else for (const line of formatShown(shown)) io.out(line);
  return 0;
}

function showEntry(row: RejectedRow, masked: boolean) {
  const mask = (text: string) => (masked ? maskPhoneNumbersIn(text) : text);
  return {
    id: row.id,
    rejectionKey: row.rejectionKey,
    deliveryId: row.deliveryId,
    recordIndex: row.recordIndex,
    stage: row.stage,
    reasonCode: row.reasonCode,
    reasonMessage: mask(row.reasonMessage),
    source: row.source,
    contentType: row.contentType,
    receivedAt: row.receivedAt.toISOString(),
    storedAt: row.storedAt.toISOString(),
    readmittedAt: row.readmittedAt?.toISOString() ?? null,
    readmittedAs: row.readmittedAs,
    masked,
    body: row.body === null ? null : showBody(row.body, row.bodyTruncated, mask, masked),
    record: row.record === null || row.record === undefined ? null : (JSON.parse(mask(JSON.stringify(row.record))) as unknown),
  };
}

function showBody(bytes: Buffer, truncated: boolean, mask: (text: string) => string, masked: boolean) {
  const decoded = decodeBody(bytes);
  const validUtf8 = decoded.ok && !decoded.lossy;
  // Masked as Latin-1, one character per byte: numbers are ASCII, every other byte stays as it came.
  const exact = masked ? Buffer.from(maskPhoneNumbersIn(bytes.toString('latin1')), 'latin1') : bytes;
  return {
    bytes: bytes.byteLength,
    truncated,
    validUtf8,
    text: mask(decoded.ok ? decoded.text : ''),
    base64: validUtf8 ? null : exact.toString('base64'),
  };
}

function formatShown(shown: ReturnType<typeof showEntry>): string[] {
  const lines = [
    `id             ${shown.id}`,
    `rejection key  ${shown.rejectionKey}`,
    `received at    ${shown.receivedAt} (stored ${shown.storedAt})`,
    `stage          ${shown.stage}`,
    `reason         ${shown.reasonCode}: ${shown.reasonMessage}`,
    `source         ${shown.source}`,
    ...(shown.contentType === null ? [] : [`content type   ${shown.contentType}`]),
    ...(shown.recordIndex === null ? [] : [`record         #${shown.recordIndex} of delivery ${shown.deliveryId}`]),
    `readmitted     ${shown.readmittedAt === null ? 'no' : `${shown.readmittedAt} as delivery ${shown.readmittedAs}`}`,
  ];
  if (shown.body !== null) {
    const { body } = shown;
    const state = body.validUtf8 ? 'valid UTF-8' : 'not valid UTF-8: bytes replaced by U+FFFD, the exact bytes in base64 below';
    lines.push(`body           ${body.bytes} bytes${body.truncated ? ', only the start kept' : ''}, ${state}`, '', body.text);
    if (body.base64 !== null) lines.push('', `base64${shown.masked ? ' (numbers masked)' : ''}:`, body.base64);
  }
  if (shown.record !== null) lines.push('', JSON.stringify(shown.record, null, 2));
  return lines;
}

/** `callpipe rejected readmit`. */
export async function rejectedReadmit(
  command: CommandUnknownOpts,
  flags: RejectedReadmitFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const { batchSize, ...filter } = checkOptions(command, readmitSchema, flags);
  const config = parseEnv(readmitEnvSchema, env);
  let lastReport = performance.now();
  const result = await withCommandDatabase(config.DATABASE_URL, 'rejected', (db) =>
    readmitRejected(db, filter, {
      businessByAppKey: config.CALLPIPE_APP_BUSINESS,
      numberHashKey: config.CALLPIPE_NUMBER_HASH_KEY,
      billingTimeZone: config.CALLPIPE_BILLING_TIME_ZONE,
      dryRun: flags.dryRun === true,
      batchSize,
      onProgress: (progress) => {
        if (performance.now() - lastReport < 5_000) return;
        lastReport = performance.now();
        io.err(
          `  ${n(progress.examined)} examined, ${n(progress.accepted)} accepted, ${n(progress.stillRejected)} still rejected so far\n`,
        );
      },
    }),
  );
  if (flags.json) io.out(JSON.stringify(result));
  else for (const line of describeReadmit(result)) io.out(line);
  return 0;
}

const n = (value: number) => value.toLocaleString('en-US');

function describeReadmit(result: ReadmitResult): string[] {
  const would = (done: string, dry: string) => (result.dryRun ? dry : done);
  const codes = Object.entries(result.byCode).sort(([a], [b]) => (a < b ? -1 : 1));
  const width = Math.max('reason code'.length, ...codes.map(([code]) => code.length));
  const stillNow = Object.entries(result.stillRejectedByCode)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([code, count]) => `${code} ${n(count)}`);
  const { stored } = result;
  return [
    `${would('readmit', 'readmit (dry run, nothing written)')}: ${n(result.examined)} examined, ${n(result.accepted)} ${would('accepted and stored', 'would be accepted')}, ${n(result.stillRejected)} still rejected; ${n(result.alreadyReadmitted)} readmitted before (skipped); ${result.elapsedSeconds.toFixed(1)} s`,
    ...(codes.length > 0
      ? [
          `  ${'reason code'.padEnd(width)}  ${'accepted'.padStart(8)}  ${'still rejected'.padStart(14)}`,
          ...codes.map(
            ([code, tally]) => `  ${code.padEnd(width)}  ${n(tally.accepted).padStart(8)}  ${n(tally.stillRejected).padStart(14)}`,
          ),
        ]
      : []),
    ...(stillNow.length > 0 ? [`  still rejected, by the current model's code: ${stillNow.join(', ')}`] : []),
    ...(result.recordsStillRejected > 0
      ? [
          `  ${n(result.recordsStillRejected)} ${result.recordsStillRejected === 1 ? 'record inside a readmitted push is' : 'records inside readmitted pushes are'} still rejected (already kept as rows of their own)`,
        ]
      : []),
    ...(result.dryRun
      ? []
      : [
          `  stored: ${n(stored.freshDeliveries)} deliveries (${n(stored.alreadyStoredDeliveries)} stored before), ${n(stored.callsCreated)} calls created, ${n(stored.callsUpdated)} updated, ${n(stored.eventsInserted)} events, ${n(stored.cdrsInserted)} CDRs (${n(stored.eventsRedelivered + stored.cdrsRedelivered)} redeliveries)`,
        ]),
  ];
}
