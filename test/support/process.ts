import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@callpipe/testkit/support';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'services/callpipe/src/main.ts';

/**
 * A port that is free right now, chosen below Linux's ephemeral range (32768+): a port the OS
 * hands out with `listen(0)` can be taken by an outgoing connection (of which the load generators
 * open thousands) before the child process binds it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface CallpipeProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Runs the real entry point (`pnpm callpipe <command>` without pnpm in between) as a child process. */
export function runCallpipe(args: string[], env: Record<string, string>): CallpipeProcess {
  const child = spawn(process.execPath, ['--conditions=@callpipe/source', MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until `url` answers 2xx; fails at once, with its output, if `process` exits meanwhile. */
export async function waitForHttp(url: string, timeoutMs = 30_000, process?: CallpipeProcess): Promise<void> {
  await waitFor(
    async () => {
      if (process && process.child.exitCode !== null)
        throw new Error(`the process serving ${url} exited with ${process.child.exitCode}:\n${process.output().slice(-3_000)}`);
      return fetch(url).then(
        (response) => response.ok,
        () => false, // not listening yet
      );
    },
    { timeoutMs, intervalMs: 100, what: `${url} to become ready` },
  );
}
