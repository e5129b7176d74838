import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
import type { S3Settings } from './s3-settings.ts';

/** 5 MiB, the smallest part S3 accepts; a put holds at most `QUEUE_SIZE` parts in memory. */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

/**
 * Objects in an S3 bucket under a prefix (`s3://bucket/prefix`), for AWS and S3-compatible servers.
 * A put is a multipart upload fed by the stream (bounded memory), hashed on the way; S3 makes an
 * object visible only when its upload completes, so a failed or aborted put (a body of the wrong
 * length included) leaves the previous object, or none.
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;

  constructor(url: string, settings: S3Settings = {}) {
    const parsed = new URL(url);
    if (parsed.protocol !== 's3:' || parsed.hostname === '') throw new Error(`invalid S3 URL ${url}: use s3://bucket/prefix`);
    this.bucket = parsed.hostname;
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
    if (prefix !== '') assertValidKey(prefix);
    this.#prefix = prefix === '' ? '' : `${prefix}/`;
    this.url = `s3://${this.bucket}/${prefix}`;
    this.#client = new S3Client({
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      region: settings.region ?? 'us-east-1',
      forcePathStyle: settings.forcePathStyle ?? false,
      ...(settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
      // A checksum trailer on every upload is what AWS wants now; most S3-compatible servers do not.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<StoredObject> {
    const fullKey = this.#key(key);
    const counter = new HashingCounter();
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    // The length is checked before the stream ends, so a wrong one fails the upload before S3
    // completes it: the previous object under the key stays.
    const checked = new LengthCheck(key, options.expectedBytes);
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.bucket,
        Key: fullKey,
        Body: checked,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const feeding = pipeline(source, counter, checked);
    // A failing source must abort the upload, or it would wait for the rest of the body forever.
    feeding.catch(() => void upload.abort().catch(() => {}));
    const [fed, uploaded] = await Promise.allSettled([feeding, upload.done()]);
    if (fed.status === 'rejected') throw fed.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, bytes: counter.bytes, sha256: counter.digestHex(), location: `s3://${this.bucket}/${fullKey}` };
  }

  async get(key: string): Promise<Readable> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const response = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return { key, bytes: response.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.#prefix}${prefix}`, ContinuationToken: continuationToken }),
      );
      // S3 lists in UTF-8 byte order, which is the order `list` promises for the keys we allow.
      for (const object of page.Contents ?? [])
        if (object.Key !== undefined) yield { key: object.Key.slice(this.#prefix.length), bytes: object.Size ?? 0 };
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  #key(key: string): string {
    assertValidKey(key);
    return `${this.#prefix}${key}`;
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof NoSuchKey || error instanceof NotFound) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 404;
}

/** Fails the stream instead of ending it when the body is not `expectedBytes` long. */
class LengthCheck extends Transform {
  readonly #key: string;
  readonly #expectedBytes: number | undefined;
  #bytes = 0;

  constructor(key: string, expectedBytes: number | undefined) {
    super();
    this.#key = key;
    this.#expectedBytes = expectedBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#expectedBytes !== undefined && this.#bytes > this.#expectedBytes)
      callback(new ObjectLengthMismatchError(this.#key, this.#expectedBytes, this.#bytes));
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expectedBytes !== undefined && this.#bytes !== this.#expectedBytes)
      callback(new ObjectLengthMismatchError(this.#key, this.#expectedBytes, this.#bytes));
    else callback();
  }
}
