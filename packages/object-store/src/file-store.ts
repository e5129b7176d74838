import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HashingCounter } from './hashing-counter.ts';
import {
  assertValidKey,
  ObjectLengthMismatchError,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store.ts';

const TEMPORARY_MARK = '.partial-';

/**
 * Objects as files under a folder. A put writes a temporary file beside the target, fsyncs it and
 * renames it into place, so a crash leaves either the old object or the new one (and at worst a
 * `.partial-` file that `list` ignores).
 */
export class FileObjectStore implements ObjectStore {
  readonly url: string;
  readonly #root: string;

  constructor(url: string) {
    this.#root = fileURLToPath(url);
    this.url = pathToFileURL(this.#root).href;
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<StoredObject> {
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}${TEMPORARY_MARK}${randomBytes(6).toString('hex')}`;
    const counter = new HashingCounter();
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter, createWriteStream(temporary, { flags: 'wx' }));
      if (options.expectedBytes !== undefined && counter.bytes !== options.expectedBytes)
        throw new ObjectLengthMismatchError(key, options.expectedBytes, counter.bytes);
      await fsyncPath(temporary);
      await rename(temporary, target);
      await fsyncPath(dirname(target));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { key, bytes: counter.bytes, sha256: counter.digestHex(), location: pathToFileURL(target).href };
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    if ((await this.stat(key)) === null) throw new ObjectNotFoundError(key);
    return createReadStream(path);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.#path(key));
      return info.isFile() ? { key, bytes: info.size } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const found: ObjectInfo[] = [];
    await this.#walk(this.#root, prefix, found);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async close(): Promise<void> {}

  async #walk(folder: string, prefix: string, found: ObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await opendir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for await (const entry of entries) {
      const path = join(folder, entry.name);
      const key = relative(this.#root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        // Only folders that can hold keys with the prefix.
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.#walk(path, prefix, found);
      } else if (entry.isFile() && key.startsWith(prefix) && !entry.name.includes(TEMPORARY_MARK)) {
        found.push({ key, bytes: (await stat(path)).size });
      }
    }
  }

  #path(key: string): string {
    assertValidKey(key);
    return join(this.#root, ...key.split('/'));
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
