import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PushJobData, SinglePushName } from '@callpipe/queue';

export interface SpoolEntry {
  name: SinglePushName;
  data: PushJobData;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
}

const SEGMENT = /^(\d{13})-(\d{6})\.jsonl$/;

/**
 * A local, fsync'd write-ahead spool for pushes Redis could not take. A push written here is as
 * safe as one in Redis: the 200 is only sent after the line reached the disk. Concurrent appends
 * share one write and one fsync (group commit). Draining sends whole segments to Redis and deletes
 * a segment only after every entry in it was accepted; re-sending after a crash is harmless because
 * jobs are keyed by delivery id and the store is idempotent per delivery.
 */
export class Spool {
  private readonly options: SpoolOptions;
  private current: { name: string; handle: FileHandle; bytes: number } | null = null;
  private sequence = 0;
  private queued: Array<{ line: string; resolve: () => void; reject: (error: Error) => void }> = [];
  private writing = false;
  private totalBytes = 0;
  private oldestAt: number | null = null;
  private lockPath: string;
  /** Set when a push did not fit; cleared when a drain frees space. */
  private refusedForSpace = false;

  constructor(options: SpoolOptions) {
    this.options = options;
    this.lockPath = join(options.dir, 'LOCK');
  }

  async open(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    this.takeLock();
    for (const segment of await this.segments()) {
      const info = await stat(join(this.options.dir, segment));
      this.totalBytes += info.size;
      const createdAt = Number(SEGMENT.exec(segment)?.[1]);
      if (info.size > 0 && (this.oldestAt === null || createdAt < this.oldestAt)) this.oldestAt = createdAt;
    }
  }

  /** Resolves once the entry is on disk (written and fsync'd). */
  append(entry: SpoolEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    if (this.totalBytes + Buffer.byteLength(line) > this.options.maxBytes) {
      this.refusedForSpace = true;
      return Promise.reject(new Error(`spool full (${this.totalBytes} of ${this.options.maxBytes} bytes)`));
    }
    return new Promise((resolve, reject) => {
      this.queued.push({ line, resolve, reject });
      if (!this.writing) void this.writeQueued();
    });
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Age of the oldest spooled push in seconds, 0 when the spool is empty. */
  oldestAgeSeconds(now = Date.now()): number {
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
   * Hands every spooled entry to `send`, oldest segment first, in chunks. Stops at the first
   * failure and keeps the rest for the next attempt. Returns how many entries were sent.
   */
  async drain(send: (entries: SpoolEntry[]) => Promise<void>, chunkSize = 500): Promise<number> {
    await this.waitForWrites();
    await this.rotate();
    let sent = 0;
    for (const segment of await this.segments()) {
      if (segment === this.current?.name) continue;
      const path = join(this.options.dir, segment);
      const entries = parseSegment(await readFile(path, 'utf8'));
      for (let i = 0; i < entries.length; i += chunkSize) await send(entries.slice(i, i + chunkSize));
      const { size } = await stat(path);
      await unlink(path);
      this.totalBytes = Math.max(0, this.totalBytes - size);
      this.refusedForSpace = false;
      sent += entries.length;
    }
    // Segments are named by the time their first entry was written.
    const withData = (await this.segments()).filter((segment) => segment !== this.current?.name || this.current.bytes > 0);
    this.oldestAt = withData.length > 0 ? Number(SEGMENT.exec(withData[0]!)?.[1]) : null;
    return sent;
  }

  async close(): Promise<void> {
    await this.waitForWrites();
    await this.current?.handle.close();
    if (this.current && this.current.bytes === 0) await unlink(join(this.options.dir, this.current.name)).catch(() => undefined);
    this.current = null;
    await unlink(this.lockPath).catch(() => undefined);
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      try {
        const segment = await this.currentSegment();
        const text = batch.map((entry) => entry.line).join('');
        await segment.handle.write(text);
        await segment.handle.datasync();
        const bytes = Buffer.byteLength(text);
        segment.bytes += bytes;
        this.totalBytes += bytes;
        this.oldestAt ??= Date.now();
        batch.forEach((entry) => entry.resolve());
      } catch (error) {
        batch.forEach((entry) => entry.reject(error instanceof Error ? error : new Error(String(error))));
      }
    }
    this.writing = false;
  }

  private async waitForWrites(): Promise<void> {
    while (this.writing || this.queued.length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  private async currentSegment() {
    if (this.current) return this.current;
    this.sequence = (this.sequence + 1) % 1_000_000;
    const name = `${Date.now()}-${String(this.sequence).padStart(6, '0')}.jsonl`;
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
    await this.current.handle.close();
    this.current = null;
  }

  private async segments(): Promise<string[]> {
    return (await readdir(this.options.dir)).filter((name) => SEGMENT.test(name)).sort();
  }

  /** One process per spool directory: a second ingest on the same disk must use its own. */
  private takeLock(): void {
    try {
      const fd = openSync(this.lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(this.lockPath, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(`spool directory ${this.options.dir} is in use by process ${holder}; give each ingest its own INGEST_SPOOL_DIR`);
      }
      const fd = openSync(this.lockPath, 'w');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    }
  }
}

/** A line torn by a crash was never fsync'd, so never acknowledged: it is skipped. */
export function parseSegment(text: string): SpoolEntry[] {
  const entries: SpoolEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      entries.push(JSON.parse(line) as SpoolEntry);
    } catch {
      // torn tail
    }
  }
  return entries;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
