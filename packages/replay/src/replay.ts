import { storeDeliveries, type Database, type StoreOptions, type StoreResult } from '@callpipe/db';
import type { BusinessByAppKey, NormalizeOptions } from '@callpipe/events';
import type { Kysely } from 'kysely';
import { classifyEntries } from './classify.ts';
import type { Format } from './detect-format.ts';
import { contentChunks, InputReadError, rereadable, type ReplayInput } from './input.ts';
import type { Item } from './items.ts';
import { prepareItem, type PreparedItem, type RecordEntry, type ValidEntry } from './prepare-item.ts';
import { readItems } from './read-items.ts';
import {
  exitCodeOf,
  type FileProblem,
  type FileSummary,
  type Phase,
  type ProgressSnapshot,
  type RecordReport,
  type ReplaySummary,
  type PhaseTimings,
  type StoreCounts,
} from './report.ts';
import { withRetries } from './retry.ts';
import { Throttle } from './throttle.ts';

export interface ReplayOptions {
  /** As CALLPIPE_APP_BUSINESS: replayed CDRs are normalized exactly like live ones. */
  businessByAppKey: BusinessByAppKey;
  /** Skips detection. */
  format?: Format;
  /** Reads, validates and compares with what is stored; writes nothing. */
  dryRun?: boolean;
  /** Writes nothing unless every record of every file is valid (checked in a first pass). */
  strict?: boolean;
  /** Records per second at most. */
  ratePerSecond?: number;
  /** Deliveries per transaction. */
  batchSize?: number;
  /** CALLPIPE_BILLING_TIME_ZONE, for billing_daily. */
  billingTimeZone?: string;
}

export interface ReplayReporter {
  record?(report: RecordReport): void;
  problem?(problem: FileProblem): void;
  progress?(snapshot: ProgressSnapshot): void;
}

export const DEFAULT_BATCH_SIZE = 500;
/** A dry run's batch also carries invalid entries; this bounds it when a file is mostly garbage. */
const MAX_ENTRIES_PER_BATCH = 20_000;
/** Batches being written at once; the command's pool has a connection for each. */
export const WRITES_IN_FLIGHT = 2;
const PROGRESS_EVERY_RECORDS = 250;
/** ... or this often, so a throttled or slow replay still shows it is alive. */
const PROGRESS_EVERY_MS = 200;

interface RunClock {
  started: number;
  peakRss: number;
}

/**
 * Replays files of pushes and CDRs into the tables through the same validation and the same
 * exactly-once store as live pushes: each item is one delivery with an id derived from its file,
 * position and content, so running a file twice changes nothing, and a CDR that already arrived
 * live only gets its delivery counted. Items stream through in batches of `batchSize` deliveries,
 * each its own transaction, with one batch being written while the next is read.
 *
 * With `strict`, a first pass reads and validates everything without touching the database, and
 * the second pass writes only if the first found no invalid record and no broken file (standard
 * input is first copied to a temporary file so it can be read twice).
 */
export async function replay(
  db: Kysely<Database>,
  inputs: readonly ReplayInput[],
  options: ReplayOptions,
  reporter: ReplayReporter = {},
): Promise<ReplaySummary> {
  const clock: RunClock = { started: performance.now(), peakRss: process.memoryUsage.rss() };
  if (options.dryRun || !options.strict)
    return new Pass(db, options.dryRun ? 'dry-run' : 'write', options, reporter, clock, true).run(inputs);
  const copies = await rereadable(inputs);
  try {
    const check = await new Pass(db, 'check', options, reporter, clock, true).run(copies.inputs);
    if (exitCodeOf(check) !== 0) return check;
    // The check pass already reported the files' warnings.
    return await new Pass(db, 'write', options, reporter, clock, false).run(copies.inputs);
  } finally {
    await copies.cleanup();
  }
}

interface Batched {
  file: FileSummary;
  prepared: PreparedItem;
}

class Pass {
  readonly #db: Kysely<Database>;
  readonly #phase: Phase;
  readonly #reporter: ReplayReporter;
  readonly #clock: RunClock;
  readonly #reportProblems: boolean;
  readonly #strict: boolean;
  readonly #format: Format | undefined;
  readonly #normalize: NormalizeOptions;
  readonly #batchSize: number;
  readonly #store: StoreOptions;
  readonly #throttle: Throttle | null;
  readonly #records: ReplaySummary['records'];
  readonly #stored: StoreCounts = {
    deliveriesStored: 0,
    deliveriesAlreadyReplayed: 0,
    cdrsInserted: 0,
    cdrsRedelivered: 0,
    eventsInserted: 0,
    eventsRedelivered: 0,
    callsCreated: 0,
    callsUpdated: 0,
    rejectedRecordsKept: 0,
  };
  readonly #files: FileSummary[] = [];
  #totalBytes: number | null = null;
  #bytesRead = 0;
  #currentFile = '';
  #batch: Batched[] = [];
  #batchDeliveries = 0;
  #batchEntries = 0;
  #inFlight: Array<Promise<{ error: unknown } | null>> = [];
  #sinceProgress = 0;
  #lastProgressAt = 0;
  readonly #timings: PhaseTimings = { readSeconds: 0, parseSeconds: 0, storeSeconds: 0, storeWaitSeconds: 0 };

  constructor(
    db: Kysely<Database>,
    phase: Phase,
    options: ReplayOptions,
    reporter: ReplayReporter,
    clock: RunClock,
    reportProblems: boolean,
  ) {
    this.#db = db;
    this.#phase = phase;
    this.#reporter = reporter;
    this.#clock = clock;
    this.#reportProblems = reportProblems;
    this.#strict = options.strict === true && phase !== 'dry-run';
    this.#format = options.format;
    this.#normalize = { businessByAppKey: options.businessByAppKey };
    this.#store = options.billingTimeZone === undefined ? {} : { billingTimeZone: options.billingTimeZone };
    const rate = options.ratePerSecond;
    // Throttled, a batch holds about a second of records, so writes stay smooth rather than bursty.
    this.#batchSize = Math.max(1, Math.min(options.batchSize ?? DEFAULT_BATCH_SIZE, rate === undefined ? Infinity : Math.ceil(rate)));
    this.#throttle = rate === undefined || phase === 'check' ? null : new Throttle(rate);
    this.#records =
      phase === 'dry-run' ? { total: 0, new: 0, stored_identical: 0, stored_different: 0, invalid: 0 } : { total: 0, invalid: 0 };
  }

  async run(inputs: readonly ReplayInput[]): Promise<ReplaySummary> {
    this.#totalBytes = inputs.every((input) => input.size !== null) ? inputs.reduce((sum, input) => sum + (input.size ?? 0), 0) : null;
    try {
      for (const input of inputs) await this.#replayFile(input);
      await this.#flush();
      const waitStarted = performance.now();
      await this.#settleAll();
      this.#timings.storeWaitSeconds += (performance.now() - waitStarted) / 1000;
    } finally {
      // Never return (or throw) with a transaction still running.
      await Promise.all(this.#inFlight);
    }
    this.#progress();
    return this.#summary();
  }

  async #replayFile(input: ReplayInput): Promise<void> {
    const file: FileSummary = { file: input.name, format: null, records: 0, invalid: 0, errors: [], warnings: [] };
    this.#files.push(file);
    this.#currentFile = input.name;
    try {
      const chunks = contentChunks(input.open(), (bytes) => {
        this.#bytesRead += bytes;
      });
      // Time between items is reading (file, gunzip, splitting, CSV); #add times the rest itself.
      let mark = performance.now();
      for await (const event of readItems(chunks, this.#format)) {
        this.#timings.readSeconds += (performance.now() - mark) / 1000;
        if (event.kind === 'format') file.format = event.format;
        else if (event.kind === 'problem') this.#problem(file, event.severity, event.message);
        else await this.#add(file, input.source, event);
        mark = performance.now();
      }
    } catch (error) {
      if (!(error instanceof InputReadError)) throw error;
      this.#problem(file, 'error', error.message);
    }
    if (file.records === 0 && file.errors.length === 0) this.#problem(file, 'warning', 'the file holds no records');
  }

  async #add(file: FileSummary, source: string, item: Item): Promise<void> {
    const parseStarted = performance.now();
    const prepared = prepareItem(item, { source, receivedAt: new Date().toISOString(), options: this.#normalize });
    this.#timings.parseSeconds += (performance.now() - parseStarted) / 1000;
    const entries = prepared.entries;
    file.records += entries.length;
    this.#records.total += entries.length;
    for (const entry of entries) {
      if (entry.status !== 'invalid') continue;
      file.invalid += 1;
      this.#records.invalid += 1;
      // A dry run reports every record in file order, after its batch was looked up.
      if (this.#phase !== 'dry-run') this.#reportEntry(file, entry, null);
    }
    if (this.#phase === 'dry-run' || (this.#phase === 'write' && prepared.delivery)) {
      this.#batch.push({ file, prepared });
      if (prepared.delivery) this.#batchDeliveries += 1;
      this.#batchEntries += entries.length;
      if (this.#batchDeliveries >= this.#batchSize || this.#batchEntries >= MAX_ENTRIES_PER_BATCH) await this.#flush();
    }
    await this.#throttle?.take(entries.length);
    this.#sinceProgress += entries.length;
    if (this.#sinceProgress >= PROGRESS_EVERY_RECORDS || performance.now() - this.#lastProgressAt >= PROGRESS_EVERY_MS) this.#progress();
  }

  /**
   * Hands the batch to the database. Writes overlap each other and the reading of the next batch,
   * up to WRITES_IN_FLIGHT: the store locks rows in key order, as concurrent workers rely on, so
   * parallel batches cannot deadlock, and the merge makes their commit order irrelevant. A dry
   * run keeps one lookup in flight, so its reports come out in file order.
   */
  async #flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchDeliveries = 0;
    this.#batchEntries = 0;
    const waitStarted = performance.now();
    while (this.#inFlight.length >= (this.#phase === 'write' ? WRITES_IN_FLIGHT : 1)) await this.#settleOldest();
    this.#timings.storeWaitSeconds += (performance.now() - waitStarted) / 1000;
    this.#inFlight.push(
      this.#process(batch).then(
        () => null,
        (error: unknown) => ({ error }),
      ),
    );
  }

  async #settleOldest(): Promise<void> {
    const outcome = await this.#inFlight.shift();
    if (outcome) throw outcome.error;
  }

  async #settleAll(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#settleOldest();
  }

  async #process(batch: Batched[]): Promise<void> {
    const started = performance.now();
    try {
      await this.#storeOrClassify(batch);
    } finally {
      this.#timings.storeSeconds += (performance.now() - started) / 1000;
    }
    this.#clock.peakRss = Math.max(this.#clock.peakRss, process.memoryUsage.rss());
  }

  async #storeOrClassify(batch: Batched[]): Promise<void> {
    if (this.#phase === 'write') {
      const deliveries = batch.flatMap(({ prepared }) => (prepared.delivery ? [prepared.delivery] : []));
      this.#count(await withRetries(() => storeDeliveries(this.#db, deliveries, this.#store)));
    } else {
      const valid = batch.flatMap(({ prepared }) => prepared.entries.filter((entry): entry is ValidEntry => entry.status === 'valid'));
      const classified = valid.length === 0 ? [] : await withRetries(() => classifyEntries(this.#db, valid));
      let next = 0;
      for (const { file, prepared } of batch) {
        for (const entry of prepared.entries) {
          const classification = entry.status === 'valid' ? classified[next++]! : null;
          if (classification) this.#records[classification.status] = (this.#records[classification.status] ?? 0) + 1;
          this.#reportEntry(file, entry, classification);
        }
      }
    }
  }

  #count(result: StoreResult): void {
    const s = this.#stored;
    s.deliveriesStored += result.freshDeliveries;
    s.deliveriesAlreadyReplayed += result.alreadyStoredDeliveries;
    s.cdrsInserted += result.cdrsInserted;
    s.cdrsRedelivered += result.cdrsRedelivered;
    s.eventsInserted += result.eventsInserted;
    s.eventsRedelivered += result.eventsRedelivered;
    s.callsCreated += result.callsCreated;
    s.callsUpdated += result.callsUpdated;
    s.rejectedRecordsKept += result.rejectedRecords;
  }

  #reportEntry(file: FileSummary, entry: RecordEntry, classification: Awaited<ReturnType<typeof classifyEntries>>[number] | null): void {
    if (!this.#reporter.record) return;
    if (entry.status === 'invalid') {
      this.#reporter.record({ file: file.file, location: entry.location, status: 'invalid', code: entry.code, reason: entry.reason });
      return;
    }
    const subject =
      entry.kind === 'cdr'
        ? { kind: 'cdr' as const, sessionId: entry.cdr.sessionId }
        : { kind: 'event' as const, sessionId: entry.event.sessionId, eventType: entry.event.eventType };
    this.#reporter.record({
      file: file.file,
      location: entry.location,
      status: classification!.status,
      ...subject,
      ...(classification?.status === 'stored_different' ? { differingFields: classification.differingFields } : {}),
    });
  }

  #problem(file: FileSummary, severity: 'error' | 'warning', message: string): void {
    (severity === 'error' ? file.errors : file.warnings).push(message);
    if (this.#reportProblems) this.#reporter.problem?.({ file: file.file, severity, message });
  }

  #progress(): void {
    this.#sinceProgress = 0;
    this.#lastProgressAt = performance.now();
    this.#clock.peakRss = Math.max(this.#clock.peakRss, process.memoryUsage.rss());
    this.#reporter.progress?.({
      phase: this.#phase,
      file: this.#currentFile,
      records: this.#records.total,
      bytesRead: this.#bytesRead,
      totalBytes: this.#totalBytes,
      elapsedMs: performance.now() - this.#clock.started,
    });
  }

  #summary(): ReplaySummary {
    const elapsedSeconds = (performance.now() - this.#clock.started) / 1000;
    const written = this.#phase === 'write';
    return {
      mode: this.#phase === 'dry-run' ? 'dry-run' : 'write',
      strict: this.#strict,
      written,
      records: this.#records,
      stored: written ? this.#stored : null,
      fileErrors: this.#files.reduce((sum, file) => sum + file.errors.length, 0),
      files: this.#files,
      bytesRead: this.#bytesRead,
      elapsedSeconds,
      recordsPerSecond: elapsedSeconds > 0 ? this.#records.total / elapsedSeconds : 0,
      peakRssBytes: this.#clock.peakRss,
      timings: { ...this.#timings },
    };
  }
}
