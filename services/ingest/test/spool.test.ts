import { mkdtempSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PushJobData } from '@callpipe/queue';
import { Spool, type SpoolEntry } from '../src/spool.ts';

const entry = (body = '{"eventType":"callout","statusInfo":{"sessionId":"s"}}'): SpoolEntry => {
  const data: PushJobData = {
    deliveryId: randomUUID(),
    source: 'test',
    receivedAt: new Date().toISOString(),
    contentType: null,
    body,
    bodyEncoding: 'utf8',
    refusal: null,
  };
  return { name: 'status', data };
};
const freshDir = () => mkdtempSync(join(tmpdir(), 'callpipe-spool-'));

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
    expect(sent.map((e) => e.data.deliveryId)).toEqual(entries.map((e) => e.data.deliveryId));
    expect(spool.isEmpty()).toBe(true);
    expect(spool.oldestAgeSeconds()).toBe(0);
    await spool.close();
    expect(readdirSync(dir)).toEqual([]);
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
    const sent: SpoolEntry[] = [];
    expect(await spool.drain(async (chunk) => void sent.push(...chunk))).toBe(10);
    await spool.close();
  });

  it('when the process restarts, then a new spool on the same directory finds and drains what was acked', async () => {
    const dir = freshDir();
    const first = new Spool({ dir, maxBytes: 10_000_000 });
    await first.open();
    const acked = entry();
    await first.append(acked);
    await first.close();
    const second = new Spool({ dir, maxBytes: 10_000_000 });
    await second.open();
    expect(second.isEmpty()).toBe(false);
    expect(second.oldestAgeSeconds()).toBeGreaterThanOrEqual(0);
    const sent: SpoolEntry[] = [];
    await second.drain(async (chunk) => void sent.push(...chunk));
    expect(sent.map((e) => e.data.deliveryId)).toEqual([acked.data.deliveryId]);
    await second.close();
  });

  it('when a segment ends in a torn line, then the complete lines are drained and the torn one skipped', async () => {
    const dir = freshDir();
    const good = entry();
    writeFileSync(join(dir, '1700000000000-000001.jsonl'), `${JSON.stringify(good)}\n`);
    appendFileSync(join(dir, '1700000000000-000001.jsonl'), '{"name":"status","data":{"deliv');
    const spool = new Spool({ dir, maxBytes: 10_000_000 });
    await spool.open();
    expect(spool.oldestAgeSeconds()).toBeGreaterThan(0);
    const sent: SpoolEntry[] = [];
    await spool.drain(async (chunk) => void sent.push(...chunk));
    expect(sent.map((e) => e.data.deliveryId)).toEqual([good.data.deliveryId]);
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

  it('when a second live process opens the same directory, then it is refused', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    const spool = new Spool({ dir, maxBytes: 10_000 });
    await expect(spool.open()).rejects.toThrow(/in use by process/);
  });

  it('when the lock was left by a dead process, then the directory is taken over', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'LOCK'), '999999');
    const spool = new Spool({ dir, maxBytes: 10_000 });
    await spool.open();
    await spool.close();
  });
});
