import { queuePrefix } from './connections.ts';

/**
 * Queue prefixes for `shards` queues. One queue keeps the plain `{callpipe}` prefix; several get
 * `{callpipe:0}`, `{callpipe:1}`, …: distinct hash tags, so on a Redis Cluster the queues land in
 * different slots and can be served by different masters, while every key of one queue stays in
 * one slot (BullMQ's scripts need that).
 */
export function shardPrefixes(configured: string, shards: number): string[] {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`shards must be a positive integer, got ${shards}`);
  if (shards === 1) return [queuePrefix(configured)];
  const base = configured.replace(/^\{/, '').replace(/\}$/, '');
  return Array.from({ length: shards }, (_, index) => `{${base}:${index}}`);
}

/**
 * The shard of a call: FNV-1a of its session id. Keeping a call in one queue is for locality only;
 * correctness never depends on it, since the merge of call facts is order-independent.
 */
export function shardOf(routingKey: string | undefined, shards: number): number {
  if (shards <= 1 || routingKey === undefined) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < routingKey.length; index += 1) {
    hash ^= routingKey.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
