import { createHash } from 'node:crypto';

/**
 * The delivery id of a replayed item, derived from where it came from and what it holds. Replaying
 * the same file again yields the same ids, which `push_deliveries` already holds, so the second run
 * changes nothing; the same CDR from another file is another delivery (a manual re-send is one).
 * Formatted as an RFC 9562 version 8 (custom, here SHA-256 based) UUID for Postgres's uuid type.
 */
export function replayDeliveryId(source: string, position: number, contentKey: string): string {
  const hex = createHash('sha256').update(`${source}\u0000${position}\u0000${contentKey}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
