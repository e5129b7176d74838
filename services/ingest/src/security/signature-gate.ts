import type { IncomingMessage } from 'node:http';
import { parseAkskHeaders, verifySignature, type DigestVariant } from '@callpipe/auth';
import type { IngestMetrics } from '@callpipe/metrics';
import type { AppSecrets, Logger } from '@callpipe/runtime';
import type { NonceStore } from './nonce-store.ts';

export const signatureModes = ['off', 'log', 'enforce'] as const;
export type SignatureMode = (typeof signatureModes)[number];

export interface SignatureGateOptions {
  mode: SignatureMode;
  apps: AppSecrets;
  /** The push URL as configured at Huawei; used when an app has no URL of its own. */
  defaultUrl: string | null;
  maxSkewSeconds: number;
  createdZones: 'utc' | 'utc_or_beijing';
  nonces: NonceStore;
  metrics: IngestMetrics;
  logger: Logger;
  now?: () => Date;
}

export type GateVerdict = { ok: true } | { ok: false; status: number; code: string; message: string };

/**
 * Rolls out signature checks safely: `off` skips them, `log` verifies and counts (which digest
 * variant matched, or why none did) but lets every push through, `enforce` rejects what fails and
 * rejects a nonce seen before within the window.
 */
export function createSignatureGate(options: SignatureGateOptions) {
  const announced = new Set<string>();
  const now = options.now ?? (() => new Date());
  return async (request: IncomingMessage): Promise<GateVerdict> => {
    if (options.mode === 'off') return { ok: true };
    const headers = { authorization: header(request, 'authorization'), xAksk: header(request, 'x-aksk') };
    const parsed = parseAkskHeaders(headers.authorization, headers.xAksk);
    const app = parsed.ok ? options.apps.get(parsed.value.username) : undefined;
    const url = app?.url ?? options.defaultUrl ?? requestUrl(request);
    const result = verifySignature({
      headers,
      url,
      apps: options.apps,
      now: now(),
      maxSkewSeconds: options.maxSkewSeconds,
      createdZones: options.createdZones,
    });
    if (!result.ok) {
      options.metrics.signatureChecks.inc({ mode: options.mode, result: result.code, variant: 'none' });
      if (options.mode === 'log') return { ok: true };
      return { ok: false, status: 401, code: result.code, message: result.message };
    }
    announce(result.appKey, result.variant, result.createdZone);
    if (options.mode === 'log') {
      options.metrics.signatureChecks.inc({ mode: 'log', result: 'ok', variant: result.variant });
      return { ok: true };
    }
    const nonce = parsed.ok ? parsed.value.nonce : '';
    const claim = await options.nonces.claim(result.appKey, nonce);
    if (claim === 'replayed') {
      options.metrics.signatureChecks.inc({ mode: 'enforce', result: 'replayed_nonce', variant: result.variant });
      return { ok: false, status: 401, code: 'replayed_nonce', message: 'this nonce was already used within the replay window' };
    }
    options.metrics.signatureChecks.inc({ mode: 'enforce', result: claim === 'fresh' ? 'ok' : 'nonce_unchecked', variant: result.variant });
    return { ok: true };
  };

  /** Once per app, variant and zone: the line an operator looks for before switching to enforce. */
  function announce(appKey: string, variant: DigestVariant, zone: string): void {
    const key = `${appKey}|${variant}|${zone}`;
    if (announced.has(key)) return;
    announced.add(key);
    options.logger.info('push signature verified', { appKey, variant, createdZone: zone, mode: options.mode });
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function requestUrl(request: IncomingMessage): string {
  const encrypted = 'encrypted' in request.socket && request.socket.encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`;
}
