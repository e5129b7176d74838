import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface CliResult {
  /** null when the process had to be killed: it did not finish within the timeout. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real entry point as `pnpm callpipe` does, with only the given environment (no
 * DATABASE_URL or REDIS_URL of the machine leaks in, nor PATH: it needs none), and kills it if it
 * has not exited in time.
 */
export function callpipe(
  args: string[],
  env: Record<string, string> = {},
  options: { stdin?: string; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, ['--conditions=@callpipe/source', MAIN, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 25_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A usage mistake: exit 2, nothing on stdout, exactly one `callpipe: error: …` line on stderr. */
export function expectUsageError(result: CliResult, message: string | RegExp): void {
  expect(result, JSON.stringify(result)).toMatchObject({ code: 2, stdout: '' });
  expect(result.stderr).toMatch(/^callpipe: error: [^\n]+\n$/);
  if (typeof message === 'string') expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
}

/** Help: exit 0, the usage on stdout, nothing on stderr. */
export function expectHelp(result: CliResult, usage: string): void {
  expect(result, JSON.stringify(result)).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout.startsWith(`Usage: ${usage}`), result.stdout).toBe(true);
}

/**
 * A TCP listener that counts the connections it gets: pointed at by DATABASE_URL and REDIS_URL, it
 * shows whether a command tried to reach Postgres or Redis at all (a closed port cannot tell).
 */
export async function connectionCounter(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A valid environment whose Postgres and Redis are the counting listener (and whose ports and spool
 * could do no harm): a command that ran instead of printing its help would connect to it.
 */
export function countedEnv(port: number, spoolDir: string): Record<string, string> {
  return {
    DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/callpipe`,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: '0',
    INGEST_ADMIN_HOST: '127.0.0.1',
    INGEST_ADMIN_PORT: '0',
    INGEST_SPOOL_DIR: spoolDir,
    WORKER_ADMIN_HOST: '127.0.0.1',
    WORKER_ADMIN_PORT: '0',
    LOG_LEVEL: 'silent',
  };
}

/** An environment every env schema refuses (exit 1): a command that parsed it did more than print help. */
export const refusedEnv: Record<string, string> = { LOG_LEVEL: 'loud' };
