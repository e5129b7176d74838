import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';
import { coerceError } from './errors.ts';
import type { Logger } from './logger.ts';
import { listen, closeServer } from './http.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  readinessChecks: ReadinessCheck[];
  /** True once shutdown began: readiness answers 503 so load balancers stop sending traffic. */
  isDraining: () => boolean;
  logger: Logger;
  /** Extra admin routes (e.g. a queue UI); never mounted on the public port. */
  mount?: (app: express.Express) => void;
}

export interface AdminServer {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

/** `/healthz` (alive), `/readyz` (dependencies reachable and not draining), `/metrics`. */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (options.isDraining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const results = await Promise.all(
      options.readinessChecks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), 2_000, `${name} did not answer within 2 s`);
          return { name, ok: true };
        } catch (error) {
          return { name, ok: false, error: coerceError(error).message };
        }
      }),
    );
    const ready = results.every((result) => result.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    try {
      res.set('Content-Type', options.registry.contentType);
      res.send(await options.registry.metrics());
    } catch (error) {
      options.logger.error('metrics collection failed', { error });
      res.status(500).send('metrics collection failed');
    }
  });
  options.mount?.(app);
  let server: Server | null = null;
  return {
    async start() {
      server = await listen(app, options.host, options.port);
      const address = server.address();
      return { port: typeof address === 'object' && address ? address.port : options.port };
    },
    async stop() {
      if (server) await closeServer(server);
      server = null;
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
