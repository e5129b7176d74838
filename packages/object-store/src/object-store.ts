import type { Readable } from 'node:stream';

/** What a successful `put` wrote: the bytes and their SHA-256 as counted while streaming. */
export interface StoredObject {
  key: string;
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
  /** Where the object is, for people and the tables: `file:///…` or `s3://bucket/key`. */
  location: string;
}

export interface ObjectInfo {
  key: string;
  bytes: number;
}

export interface PutOptions {
  contentType?: string;
  /**
   * The length the body must have. A body of any other length is not kept (a truncated download
   * never becomes an object) and `put` rejects with `ObjectLengthMismatchError`.
   */
  expectedBytes?: number;
}

/**
 * A place for whole objects under keys (`a/b/c.ndjson.gz`): a folder or an S3 bucket prefix.
 * `put` is all-or-nothing: readers see either the previous object or the whole new one, never a
 * partial write. Memory stays bounded whatever the object's size: bodies stream.
 */
export interface ObjectStore {
  /** The store's URL without credentials, for logs and manifests. */
  readonly url: string;
  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<StoredObject>;
  /** Rejects with `ObjectNotFoundError` when there is no object under `key`. */
  get(key: string): Promise<Readable>;
  stat(key: string): Promise<ObjectInfo | null>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deleting a key that does not exist is not an error. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  readonly key: string;
  constructor(key: string) {
    super(`no object ${key}`);
    this.key = key;
  }
}

export class ObjectLengthMismatchError extends Error {
  override readonly name = 'ObjectLengthMismatchError';
  readonly key: string;
  readonly expectedBytes: number;
  readonly actualBytes: number;
  constructor(key: string, expectedBytes: number, actualBytes: number) {
    super(`object ${key}: expected ${expectedBytes} bytes, got ${actualBytes}`);
    this.key = key;
    this.expectedBytes = expectedBytes;
    this.actualBytes = actualBytes;
  }
}

/** Keys are relative paths of plain segments; this keeps a file store inside its folder. */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 1024 || segments.some((part) => part === '' || part === '.' || part === '..' || part.includes('\\')))
    throw new Error(`invalid object key ${JSON.stringify(key)}: use relative segments separated by "/"`);
}
