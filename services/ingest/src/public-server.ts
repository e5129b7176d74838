import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { listenOn } from '@callpipe/runtime';
import type { IngestEnv } from './env.ts';
import { VOICECALL_CIPHER_SUITES } from './tls.ts';

/** The public push endpoint, HTTP or HTTPS (TLS 1.2+ with the suites VoiceCall documents), listening. */
export function startPublicServer(env: IngestEnv, listener: RequestListener): Promise<Server> {
  const serverOptions = {
    headersTimeout: env.INGEST_HEADERS_TIMEOUT_MS,
    requestTimeout: env.INGEST_REQUEST_TIMEOUT_MS,
    // How often slow clients are checked against those timeouts (Node's default is 30 s).
    connectionsCheckingInterval: Math.min(1_000, env.INGEST_HEADERS_TIMEOUT_MS),
    // The platform uses short connections; keep-alive only helps load generators and proxies.
    keepAliveTimeout: 5_000,
  };
  const server: Server = env.tls
    ? createHttpsServer(
        {
          ...serverOptions,
          cert: env.tls.cert,
          key: env.tls.key,
          minVersion: 'TLSv1.2',
          ciphers: VOICECALL_CIPHER_SUITES.join(':'),
          honorCipherOrder: true,
        },
        listener,
      )
    : createHttpServer(serverOptions, listener);
  return listenOn(server, env.INGEST_HOST, env.INGEST_PORT);
}

export function boundPort(server: Server, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : fallback;
}
