import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { S3Settings } from '@callpipe/object-store';

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** A bucket that exists on the server. */
  bucket: string;
  /** What `openObjectStore('s3://<bucket>/…', settings)` needs to reach it. */
  settings: S3Settings;
  /** Stops the server and removes what it stored; a store pointed at it then fails to connect. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./s3-server-main.ts', import.meta.url));

/**
 * A real S3-compatible HTTP server (s3rver, from npm) on a free loopback port, storing in a fresh
 * temporary folder, with one bucket. It runs in a child process with OpenSSL's legacy provider:
 * s3rver makes ListObjectsV2 continuation tokens with DES, which Node 24's OpenSSL 3 refuses
 * otherwise (every paginated listing would fail with InternalError). s3rver checks signatures
 * against its fixed key pair, which `settings` carries.
 */
export async function startS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'callpipe-test';
  const directory = await mkdtemp(join(tmpdir(), 'callpipe-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', MAIN, directory, bucket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`s3rver exited with ${String(code)} before it listened`);
    }),
  ]);
  lines.close();
  const { port } = JSON.parse(first) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    settings: { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        await rm(directory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
