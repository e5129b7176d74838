import { mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SinglePush } from '@callpipe/queue';
import { takeSpoolLock, type SpoolLock } from './lock.ts';
import { quarantineRecord, type QuarantinedRecord } from './quarantine.ts';
import { encodeRecord, parseSegment, SEGMENT_EXTENSION, SEGMENT_NAME, segmentFormat } from './segment-format.ts';
import { coerceError } from '@callpipe/runtime';

export type SpoolEntry = SinglePush;

/** What a drain met besides good entries; the ingest turns these into metrics and log lines. */
export interface SpoolEvents {
  quarantined?(record: QuarantinedRecord, bytes: Buffer): void;
  tornTail?(tail: { segment: string; offset: number; bytes: number }): void;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  events?: SpoolEvents;
  /** Milliseconds since the epoch; segments are named by it (tests pass a fixed clock). */
  clock?: () => number;
}

/**
 * A local, fsync'd write-ahead spool for pushes Redis could not take. A push written here is as
 * safe as one in Redis: the 200 is only sent after the record reached the disk. Concurrent appends
 * share one write and one fsync (group commit). Draining sends whole segments to Redis and deletes
 * a segment only after every entry in it was accepted and every damaged record in it was copied to
 * the quarantine; re-sending after a crash is harmless because jobs are keyed by delivery id and
 * the store is idempotent per delivery.
 */
export class Spool {
  private readonly options: SpoolOptions;
  private readonly clock: () => number;
  private current: { name: string; handle: FileHandle; bytes: number } | null = null;
  private sequence = 0;
  private queued: Array<{ record: Buffer; resolve: () => void; reject: (error: Error) => void }> = [];
  /** The group-commit loop while it runs; drain and close wait for it. */
  private writing: Promise<void> | null = null;
  private totalBytes = 0;
  private oldestAt: number | null = null;
  private lock: SpoolLock | null = null;
  /** Set when a push did not fit; cleared when a drain frees space. */
  private refusedForSpace = false;

  constructor(options: SpoolOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  async open(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    this.lock = await takeSpoolLock(this.options.dir);
    for (const segment of await this.segments()) {
      const info = await stat(join(this.options.dir, segment));
      this.totalBytes += info.size;
      const createdAt = Number(SEGMENT_NAME.exec(segment)?.[1]);
      if (info.size > 0 && (this.oldestAt === null || createdAt < this.oldestAt)) this.oldestAt = createdAt;
    }
  }

  /** Resolves once the entry is on disk (written and fsync'd). */
  append(entry: SpoolEntry): Promise<void> {
    const record = encodeRecord(entry);
    if (this.totalBytes + record.length > this.options.maxBytes) {
      this.refusedForSpace = true;
      return Promise.reject(new Error(`spool full (${this.totalBytes} of ${this.options.maxBytes} bytes)`));
    }
    return new Promise((resolve, reject) => {
      this.queued.push({ record, resolve, reject });
      this.startWriter();
    });
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Age of the oldest spooled push in seconds, 0 when the spool is empty. */
  oldestAgeSeconds(now = this.clock()): number {
    return this.oldestAt === null || this.totalBytes === 0 ? 0 : Math.max(0, (now - this.oldestAt) / 1000);
  }

  isEmpty(): boolean {
    return this.totalBytes === 0;
  }

  /** True once a push did not fit, until a drain frees space. */
  isFull(): boolean {
    return this.refusedForSpace;
  }

  /**
   * Hands every spooled entry to `send`, oldest segment first, in chunks. Damaged records go to the
   * quarantine first, so deleting the segment loses nothing. Stops at the first failure and keeps
   * the rest for the next attempt. Returns how many entries were sent.
   */
  async drain(send: (entries: SpoolEntry[]) => Promise<void>, chunkSize = 500): Promise<number> {
    await this.writesDone();
    await this.rotate();
    let sent = 0;
    for (const segment of await this.segments()) {
      if (segment === this.current?.name) continue;
      const path = join(this.options.dir, segment);
      const bytes = await readFile(path);
      const parsed = parseSegment(bytes, segmentFormat(segment));
      for (const bad of parsed.bad) {
        const kept = await quarantineRecord(this.options.dir, segment, bad);
        if (kept) this.options.events?.quarantined?.(kept, bad.bytes);
      }
      const { entries } = parsed;
      for (let i = 0; i < entries.length; i += chunkSize) await send(entries.slice(i, i + chunkSize));
      await unlink(path);
      if (parsed.tornTail) this.options.events?.tornTail?.({ segment, ...parsed.tornTail });
      this.totalBytes = Math.max(0, this.totalBytes - bytes.length);
      this.refusedForSpace = false;
      sent += entries.length;
    }
    // Segments are named by the time their first entry was written.
    const withData = (await this.segments()).filter((segment) => segment !== this.current?.name || this.current.bytes > 0);
    this.oldestAt = withData.length > 0 ? Number(SEGMENT_NAME.exec(withData[0]!)?.[1]) : null;
    return sent;
  }

  async close(): Promise<void> {
    await this.writesDone();
    await this.current?.handle.close();
    if (this.current && this.current.bytes === 0) await unlink(join(this.options.dir, this.current.name)).catch(() => undefined);
    this.current = null;
    await this.lock?.release();
    this.lock = null;
  }

  private startWriter(): void {
    if (this.writing) return;
    this.writing = this.writeQueued().finally(() => {
      this.writing = null;
      // Appended after the loop saw an empty queue but before this ran.
      if (this.queued.length > 0) this.startWriter();
    });
  }

  private async writesDone(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeQueued(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      try {
        const segment = await this.currentSegment();
        const data = Buffer.concat(batch.map((entry) => entry.record));
        await segment.handle.write(data);
        await segment.handle.datasync();
        segment.bytes += data.length;
        this.totalBytes += data.length;
        this.oldestAt ??= this.clock();
        batch.forEach((entry) => entry.resolve());
      } catch (error) {
        batch.forEach((entry) => entry.reject(coerceError(error)));
      }
    }
  }

  private async currentSegment() {
    if (this.current) return this.current;
    this.sequence = (this.sequence + 1) % 1_000_000;
    const name = `${this.clock()}-${String(this.sequence).padStart(6, '0')}.${SEGMENT_EXTENSION}`;
    const handle = await open(join(this.options.dir, name), 'a');
    // The new file's directory entry must survive a crash too.
    const directory = await open(this.options.dir, 'r');
    await directory.sync().finally(() => directory.close());
    this.current = { name, handle, bytes: 0 };
    return this.current;
  }

  /** Closes the segment being written so it can be drained; the next append starts a new one. */
  private async rotate(): Promise<void> {
    if (!this.current || this.current.bytes === 0) return;
    const { handle } = this.current;
    // Cleared first: an append during the close must open a new segment, not write to this one.
    this.current = null;
    await handle.close();
  }

  private async segments(): Promise<string[]> {
    return listSegments(this.options.dir);
  }
}

/** Segment file names, oldest first; the quarantine directory and the lock files are not segments. */
export async function listSegments(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => SEGMENT_NAME.test(name)).sort();
}
