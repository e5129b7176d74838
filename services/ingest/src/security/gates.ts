import type { IncomingMessage } from 'node:http';
import { replayTtlSeconds } from '@callpipe/auth';
import type { IngestMetrics } from '@callpipe/metrics';
import { queuePrefix, type RedisClient } from '@callpipe/queue';
import type { Logger } from '@callpipe/runtime';
import type { IngestEnv } from '../env.ts';
import { NonceStore } from './nonce-store.ts';
import { createSignatureGate, type GateVerdict } from './signature-gate.ts';
import { createSourceGate } from './source-gate.ts';

/** The checks a push passes before it is stored: source address allowlist, then the signature. */
export function createGates(
  env: IngestEnv,
  redis: RedisClient,
  metrics: IngestMetrics,
  logger: Logger,
): Array<(request: IncomingMessage) => GateVerdict | Promise<GateVerdict>> {
  const nonces = new NonceStore(redis, {
    prefix: queuePrefix(env.CALLPIPE_QUEUE_PREFIX),
    ttlSeconds: replayTtlSeconds({
      maxSkewSeconds: env.INGEST_SIGNATURE_MAX_SKEW_SECONDS,
      createdZones: env.INGEST_SIGNATURE_CREATED_ZONES,
    }),
    timeoutMs: env.INGEST_ENQUEUE_TIMEOUT_MS,
  });
  return [
    createSourceGate(env.INGEST_ALLOWED_SOURCES, env.INGEST_TRUSTED_PROXIES.list),
    createSignatureGate({
      mode: env.INGEST_SIGNATURE_MODE,
      apps: env.appSecrets,
      defaultUrl: env.INGEST_SIGNATURE_URL || null,
      maxSkewSeconds: env.INGEST_SIGNATURE_MAX_SKEW_SECONDS,
      createdZones: env.INGEST_SIGNATURE_CREATED_ZONES,
      nonces,
      metrics,
      logger,
    }),
  ];
}
