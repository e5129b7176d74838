import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectLengthMismatchError, ObjectNotFoundError, openObjectStore, type ObjectStore } from '../src/index.ts';

describe('file object store', () => {
  let folder: string;
  let store: ObjectStore;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'callpipe-object-store-'));
    store = openObjectStore(pathToFileURL(folder).href);
  });
  afterEach(async () => {
    await store.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('stores a streamed body and reports its length and SHA-256', async () => {
    const body = 'a'.repeat(100_000);
    const stored = await store.put('day=2026-11-30/cdrs.ndjson', Readable.from([body.slice(0, 50_000), body.slice(50_000)]));
    expect(stored).toEqual({
      key: 'day=2026-11-30/cdrs.ndjson',
      bytes: 100_000,
      sha256: createHash('sha256').update(body).digest('hex'),
      location: pathToFileURL(join(folder, 'day=2026-11-30', 'cdrs.ndjson')).href,
    });
    expect(await text(await store.get('day=2026-11-30/cdrs.ndjson'))).toBe(body);
    expect(await store.stat('day=2026-11-30/cdrs.ndjson')).toEqual({ key: 'day=2026-11-30/cdrs.ndjson', bytes: 100_000 });
  });

  it('keeps nothing when the body is shorter than expected, and leaves the previous object', async () => {
    await store.put('r/a.wav', Buffer.from('old'));
    await expect(store.put('r/a.wav', Buffer.from('new body'), { expectedBytes: 20 })).rejects.toBeInstanceOf(ObjectLengthMismatchError);
    expect(await text(await store.get('r/a.wav'))).toBe('old');
    expect(await readdir(join(folder, 'r'))).toEqual(['a.wav']);
  });

  it('keeps nothing when the body stream fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.put('r/b.wav', failing)).rejects.toThrow('connection reset');
    expect(await store.stat('r/b.wav')).toBeNull();
    expect(await readdir(join(folder, 'r'))).toEqual([]);
  });

  it('lists keys under a prefix in key order and deletes idempotently', async () => {
    for (const key of ['day=2026-11-02/b', 'day=2026-11-01/z', 'day=2026-11-01/a', 'other/x']) await store.put(key, Buffer.from(key));
    const listed: string[] = [];
    for await (const info of store.list('day=2026-11-01/')) listed.push(info.key);
    expect(listed).toEqual(['day=2026-11-01/a', 'day=2026-11-01/z']);
    await store.delete('day=2026-11-01/a');
    await store.delete('day=2026-11-01/a');
    expect(await store.stat('day=2026-11-01/a')).toBeNull();
  });

  it('refuses keys that would leave its folder and reports missing objects by name', async () => {
    await expect(store.put('../escape', Buffer.from('x'))).rejects.toThrow('invalid object key');
    await expect(store.put('/abs', Buffer.from('x'))).rejects.toThrow('invalid object key');
    await expect(store.get('nope')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('names the schemes it supports', () => {
    expect(() => openObjectStore('ftp://host/x')).toThrow('use file:///path or s3://bucket/prefix');
  });
});
