import type { Redis } from 'ioredis';

export interface ReplicationWait {
  /** Replicas that must have a write before a push counts as taken; 0 turns the wait off. */
  replicas: number;
  timeoutMs: number;
}

export class ReplicationError extends Error {}

/**
 * Waits until `replicas` replicas of the master holding the queue have every write this client
 * sent so far (Redis `WAIT`), and fails when they do not within the timeout. Replication is
 * asynchronous: without this, a master that crashes right after answering takes acked pushes
 * with it. WAIT covers all earlier writes of one connection, so it must go to the connection
 * that wrote; on a cluster that is the node connection of the master serving the queue's slot.
 */
export async function waitForReplicas(client: object, queuePrefix: string, wait: ReplicationWait): Promise<void> {
  if (wait.replicas === 0) return;
  const node = await writerConnection(client, queuePrefix);
  const confirmed = Number(await node.call('WAIT', String(wait.replicas), String(wait.timeoutMs)));
  if (confirmed < wait.replicas) {
    throw new ReplicationError(`only ${confirmed} of ${wait.replicas} Redis replica(s) confirmed the write within ${wait.timeoutMs} ms`);
  }
}

/**
 * The connection that wrote the queue's keys: the client itself, or on a cluster the node
 * connection of the master serving the prefix's slot. WAIT sent anywhere else would count
 * replicas of a connection that wrote nothing, and pass.
 */
export async function writerConnection(client: object, queuePrefix: string): Promise<Redis> {
  return 'isCluster' in client && client.isCluster === true
    ? masterOfPrefix(client as unknown as ClusterLike, queuePrefix)
    : (client as Redis);
}

/** After a write to `queue`: waits for its replicas (see waitForReplicas); free when the wait is off. */
export async function confirmReplicated(
  queue: { client: Promise<object>; opts: { prefix?: string } },
  wait: ReplicationWait | undefined,
): Promise<void> {
  if (!wait || wait.replicas === 0) return;
  await waitForReplicas(await queue.client, queue.opts.prefix ?? '', wait);
}

interface ClusterLike {
  slots: string[][];
  nodes(role: 'master'): Redis[];
  call(...args: string[]): Promise<unknown>;
}

const slotCache = new Map<string, number>();

async function masterOfPrefix(cluster: ClusterLike, queuePrefix: string): Promise<Redis> {
  let slot = slotCache.get(queuePrefix);
  if (slot === undefined) {
    slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', queuePrefix));
    slotCache.set(queuePrefix, slot);
  }
  const owner = cluster.slots[slot]?.[0];
  const node = cluster.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner);
  if (!node) throw new ReplicationError(`no connected master serves slot ${slot} of ${queuePrefix}`);
  return node;
}
