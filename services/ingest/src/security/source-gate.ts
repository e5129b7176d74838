import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import { clientAddress, matches } from './source-address.ts';
import type { GateVerdict } from './signature-gate.ts';

/** Rejects pushes from outside the allowlist (when one is configured), seen through trusted proxies. */
export function createSourceGate(allowed: { list: BlockList; size: number }, trustedProxies: BlockList) {
  return (request: IncomingMessage): GateVerdict => {
    if (allowed.size === 0) return { ok: true };
    const forwarded = request.headers['x-forwarded-for'];
    const address = clientAddress(
      request.socket.remoteAddress ?? '',
      Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      trustedProxies,
    );
    if (matches(allowed.list, address)) return { ok: true };
    return { ok: false, status: 403, code: 'source_not_allowed', message: 'this source address may not push here' };
  };
}
