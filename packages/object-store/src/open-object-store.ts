import { FileObjectStore } from './file-store.ts';
import type { ObjectStore } from './object-store.ts';

/** Connection settings for `s3://` stores; the usual AWS variables, parsed by each service's env module. */
export interface S3Settings {
  /** An S3-compatible endpoint (MinIO, OBS, s3rver); the AWS default when absent. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
}

/** `file:///path` or `s3://bucket/prefix`. */
export function openObjectStore(url: string, s3: S3Settings = {}): ObjectStore {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') return new FileObjectStore(url);
  if (parsed.protocol === 's3:') {
    void s3;
    throw new Error('s3:// object stores are not available yet');
  }
  throw new Error(`unsupported object store URL ${url}: use file:///path or s3://bucket/prefix`);
}
