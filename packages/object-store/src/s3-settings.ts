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
