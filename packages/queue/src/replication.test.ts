import { describe, expect, it } from 'vitest';
import { confirmReplicated, ReplicationError } from './replication.ts';

/** A stand-in for one Redis connection that answers WAIT with a fixed replica count. */
function connection(confirmedReplicas: number) {
  const calls: string[][] = [];
  const client = { call: (...args: string[]) => (calls.push(args), Promise.resolve(confirmedReplicas)) };
  return { calls, queue: { client: Promise.resolve(client), opts: { prefix: '{callpipe}' } } };
}

describe('confirmReplicated', () => {
  it('sends no WAIT when the wait is off', async () => {
    const { calls, queue } = connection(0);
    await confirmReplicated(queue, undefined);
    await confirmReplicated(queue, { replicas: 0, timeoutMs: 100 });
    expect(calls).toEqual([]);
  });

  it('passes when enough replicas confirmed, sending WAIT with the count and timeout', async () => {
    const { calls, queue } = connection(2);
    await confirmReplicated(queue, { replicas: 2, timeoutMs: 250 });
    expect(calls).toEqual([['WAIT', '2', '250']]);
  });

  it('fails with a ReplicationError naming the shortfall when too few replicas confirmed in time', async () => {
    const { queue } = connection(0);
    const waiting = confirmReplicated(queue, { replicas: 1, timeoutMs: 300 });
    await expect(waiting).rejects.toBeInstanceOf(ReplicationError);
    await expect(waiting).rejects.toThrow('only 0 of 1 Redis replica(s) confirmed the write within 300 ms');
  });
});
