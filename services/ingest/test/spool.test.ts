import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PushJobData } from '@callpipe/queue';
import { Spool, type SpoolEntry, type SpoolEvents } from '../src/spool/spool.ts';
import { encodeRecord } from '../src/spool/segment-format.ts';
import { takeSpoolLock } from '../src/spool/lock.ts';

const entry = (body = '{"eventType":"callout","statusInfo":{"sessionId":"s"}}', receivedAt = new Date().toISOString()): SpoolEntry => {
  const data: PushJobData = {
    deliveryId: randomUUID(),
    source: 'test',
    receivedAt,
    contentType: null,
    body,
    bodyEncoding: 'utf8',
    rejection: null,
  };
  return { name: 'status', data };
};
const freshDir = () => mkdtempSync(join(tmpdir(), 'callpipe-spool-'));
const idsOf = (entries: SpoolEntry[]) => entries.map((e) => e.data.deliveryId);

/** A spool with its drain events recorded. */
function recordingSpool(dir: string, options: { maxBytes?: number; clock?: () => number } = {}) {
  const quarantined: Array<Parameters<NonNullable<SpoolEvents['quarantined']>>[0]> = [];
  const tornTails: Array<Parameters<NonNullable<SpoolEvents['tornTail']>>[0]> = [];
  const spool = new Spool({
    dir,
    maxBytes: options.maxBytes ?? 10_000_000,
    ...(options.clock ? { clock: options.clock } : {}),
    events: { quarantined: (record) => quarantined.push(record), tornTail: (tail) => tornTails.push(tail) },
  });
  return { spool, quarantined, tornTails };
}

async function drainAll(spool: Spool): Promise<SpoolEntry[]> {
  const sent: SpoolEntry[] = [];
  await spool.drain(async (chunk) => void sent.push(...chunk));
  return sent;
}

/** The pid of a process that has exited: guaranteed not alive (pids are not reused this soon). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

const SEGMENT = '1700000000000-000001.spool';

describe('Spool', () => {
  it('when pushes are appended concurrently, then all are on disk and drain returns them in order, then the files are gone', async () => {
    const dir = freshDir();
    const spool = new Spool({ dir, maxBytes: 10_000_000 });
    await spool.open();
    const entries = Array.from({ length: 50 }, () => entry());
    await Promise.all(entries.map((e) => spool.append(e)));
    expect(spool.bytes).toBeGreaterThan(0);
    const sent: SpoolEntry[] = [];
    expect(await spool.drain(async (chunk) => void sent.push(...chunk), 7)).toBe(50);
    expect(idsOf(sent)).toEqual(idsOf(entries));
    expect(spool.isEmpty()).toBe(true);
    expect(spool.oldestAgeSeconds()).toBe(0);
    await spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('when appends follow each other as each resolves, then none waits for a writer that already stopped', async () => {
    const spool = new Spool({ dir: freshDir(), maxBytes: 10_000_000 });
    await spool.open();
    const entries = Array.from({ length: 20 }, () => entry());
    for (const e of entries) await spool.append(e);
    expect(idsOf(await drainAll(spool))).toEqual(idsOf(entries));
    await spool.close();
  });

  it('when sending fails midway, then the segment is kept and the next drain sends everything again', async () => {
    const spool = new Spool({ dir: freshDir(), maxBytes: 10_000_000 });
    await spool.open();
    await Promise.all(Array.from({ length: 10 }, () => spool.append(entry())));
    let calls = 0;
    await expect(
      spool.drain(async () => {
        calls += 1;
        if (calls === 2) throw new Error('redis went away');
      }, 3),
    ).rejects.toThrow('redis went away');
    expect(spool.isEmpty()).toBe(false);
    expect(await drainAll(spool)).toHaveLength(10);
    await spool.close();
  });

  it('when the process restarts, then a new spool on the same directory finds what was acked, with its age', async () => {
    const dir = freshDir();
    const writtenAt = Date.UTC(2024, 5, 11, 2, 30, 0);
    const first = new Spool({ dir, maxBytes: 10_000_000, clock: () => writtenAt });
    await first.open();
    const acked = entry();
    await first.append(acked);
    await first.close();
    const second = new Spool({ dir, maxBytes: 10_000_000, clock: () => writtenAt + 42_000 });
    await second.open();
    expect(second.isEmpty()).toBe(false);
    expect(second.oldestAgeSeconds()).toBe(42);
    expect(idsOf(await drainAll(second))).toEqual([acked.data.deliveryId]);
    expect(second.oldestAgeSeconds()).toBe(0);
    await second.close();
  });

  it('when a segment ends in a record cut short, then the complete ones are drained and the torn tail is counted, not quarantined', async () => {
    const dir = freshDir();
    const good = entry();
    const torn = encodeRecord(entry());
    writeFileSync(join(dir, SEGMENT), Buffer.concat([encodeRecord(good), torn.subarray(0, torn.length - 20)]));
    const { spool, quarantined, tornTails } = recordingSpool(dir);
    await spool.open();
    expect(idsOf(await drainAll(spool))).toEqual([good.data.deliveryId]);
    expect(tornTails).toEqual([{ segment: SEGMENT, offset: encodeRecord(good).length, bytes: torn.length - 20 }]);
    expect(quarantined).toEqual([]);
    expect(existsSync(join(dir, 'quarantine'))).toBe(false);
    await spool.close();
  });

  it('when a record in the middle of a segment is damaged, then it is quarantined with its bytes and place, and the rest is drained', async () => {
    const dir = freshDir();
    const [before, damaged, after] = [entry(), entry('{"eventType":"callout","caller":"+8613800000001"}'), entry()];
    const records = [before, damaged, after].map((e) => encodeRecord(e));
    const bytes = Buffer.concat(records);
    const offset = records[0]!.length;
    const flipAt = offset + Math.floor(records[1]!.length / 2);
    bytes[flipAt] = bytes[flipAt]! ^ 0x01;
    writeFileSync(join(dir, SEGMENT), bytes);
    const { spool, quarantined, tornTails } = recordingSpool(dir);
    await spool.open();
    expect(idsOf(await drainAll(spool))).toEqual([before.data.deliveryId, after.data.deliveryId]);
    expect(tornTails).toEqual([]);
    expect(quarantined).toEqual([
      {
        segment: SEGMENT,
        offset,
        length: records[1]!.length,
        reason: 'checksum_mismatch',
        file: expect.stringMatching(/^quarantine\//) as string,
      },
    ]);
    const kept = JSON.parse(readFileSync(join(dir, quarantined[0]!.file), 'utf8')) as Record<string, unknown>;
    expect(kept).toMatchObject({ segment: SEGMENT, offset, length: records[1]!.length, reason: 'checksum_mismatch' });
    expect(Buffer.from(kept['bytesBase64'] as string, 'base64')).toEqual(bytes.subarray(offset, offset + records[1]!.length));
    // The segment is gone; the quarantine stays and is never drained as a segment.
    expect(readdirSync(dir).sort()).toEqual(['LOCK', 'quarantine']);
    expect(await drainAll(spool)).toEqual([]);
    expect(readdirSync(join(dir, 'quarantine'))).toHaveLength(1);
    await spool.close();
  });

  it('when a drain with a damaged record is interrupted and retried, then the record is quarantined and counted once', async () => {
    const dir = freshDir();
    const records = [entry(), entry(), entry()].map(encodeRecord);
    records[1]![records[1]!.length - 5] = 0x21;
    writeFileSync(join(dir, SEGMENT), Buffer.concat(records));
    const { spool, quarantined } = recordingSpool(dir);
    await spool.open();
    await expect(
      spool.drain(async () => {
        throw new Error('redis went away');
      }),
    ).rejects.toThrow('redis went away');
    expect(await drainAll(spool)).toHaveLength(2);
    expect(quarantined).toHaveLength(1);
    expect(readdirSync(join(dir, 'quarantine'))).toHaveLength(1);
    await spool.close();
  });

  it('when the previous version left a segment of JSON lines, then it is drained after the upgrade: good lines sent, a bad one quarantined, a torn last line skipped', async () => {
    const dir = freshDir();
    const [first, second] = [entry(), entry()];
    const oldSegment = '1690000000000-000003.jsonl';
    writeFileSync(
      join(dir, oldSegment),
      `${JSON.stringify(first)}\n{"name":"status","data":{"deli\u0000ryId"\n${JSON.stringify(second)}\n`,
    );
    appendFileSync(join(dir, oldSegment), '{"name":"status","data":{"deliv');
    writeFileSync(join(dir, 'LOCK'), String(await deadPid()));
    const { spool, quarantined, tornTails } = recordingSpool(dir);
    await spool.open();
    const newer = entry();
    await spool.append(newer);
    expect(idsOf(await drainAll(spool))).toEqual(idsOf([first, second, newer]));
    expect(quarantined.map((record) => [record.segment, record.reason])).toEqual([[oldSegment, 'unparsable']]);
    expect(tornTails.map((tail) => tail.segment)).toEqual([oldSegment]);
    expect(spool.isEmpty()).toBe(true);
    await spool.close();
  });

  it('when the spool is full, then append refuses', async () => {
    const spool = new Spool({ dir: freshDir(), maxBytes: 1_024 });
    await spool.open();
    expect(spool.isFull()).toBe(false);
    await expect(spool.append(entry('x'.repeat(2_000)))).rejects.toThrow(/spool full/);
    expect(spool.isFull()).toBe(true);
    await spool.close();
  });
});

describe('spool lock', () => {
  it('when a second live process holds the directory, then opening it is refused', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    const spool = new Spool({ dir, maxBytes: 10_000 });
    await expect(spool.open()).rejects.toThrow(`in use by process ${process.ppid}`);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.ppid));
  });

  it('when another spool of this process holds the directory, then opening it again is refused', async () => {
    const dir = freshDir();
    const first = new Spool({ dir, maxBytes: 10_000 });
    await first.open();
    await expect(new Spool({ dir, maxBytes: 10_000 }).open()).rejects.toThrow(/in use by process/);
    await first.close();
  });

  it('when the lock was left by a dead process, then the directory is taken over and released on close', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'LOCK'), String(await deadPid()));
    const spool = new Spool({ dir, maxBytes: 10_000 });
    await spool.open();
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f-]{36}\\n$`));
    await spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('when two contenders race for a stale lock, then exactly one wins, every time', async () => {
    const stalePid = await deadPid();
    for (let round = 0; round < 25; round += 1) {
      const dir = freshDir();
      writeFileSync(join(dir, 'LOCK'), `${stalePid}\n`);
      const results = await Promise.allSettled([takeSpoolLock(dir), takeSpoolLock(dir)]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((result) => String(result.reason))).toEqual([expect.stringMatching(/in use by process/)]);
      await won[0]!.value.release();
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});
