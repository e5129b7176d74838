import { FileObjectStore } from './file-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-store.ts';
import type { S3Settings } from './s3-settings.ts';

export type { S3Settings } from './s3-settings.ts';

/** `file:///path` or `s3://bucket/prefix`. */
export function openObjectStore(url: string, s3: S3Settings = {}): ObjectStore {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') return new FileObjectStore(url);
  if (parsed.protocol === 's3:') return new S3ObjectStore(url, s3);
  throw new Error(`unsupported object store URL ${url}: use file:///path or s3://bucket/prefix`);
}
