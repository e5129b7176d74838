import { describe, expect, it } from 'vitest';
import { shardOf, shardPrefixes } from './shards.ts';

describe('shardPrefixes', () => {
  it('keeps the plain hash-tagged prefix for one queue, so existing deployments keep their keys', () => {
    expect(shardPrefixes('callpipe', 1)).toEqual(['{callpipe}']);
    expect(shardPrefixes('{callpipe}', 1)).toEqual(['{callpipe}']);
  });

  it('gives every shard its own hash tag', () => {
    expect(shardPrefixes('callpipe', 3)).toEqual(['{callpipe:0}', '{callpipe:1}', '{callpipe:2}']);
    expect(shardPrefixes('{callpipe}', 2)).toEqual(['{callpipe:0}', '{callpipe:1}']);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardPrefixes('callpipe', 0)).toThrow(/positive integer/);
    expect(() => shardPrefixes('callpipe', 1.5)).toThrow(/positive integer/);
  });
});

describe('shardOf', () => {
  it('is stable for a session id and stays within the shard count', () => {
    const sessionId = '1201_612_4294967295_20190124030424@callenabler245.huaweicaas.com';
    expect(shardOf(sessionId, 8)).toBe(shardOf(sessionId, 8));
    for (let index = 0; index < 200; index += 1) {
      const shard = shardOf(`session-${index}`, 5);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(5);
    }
  });

  it('spreads session ids roughly evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let index = 0; index < 4_000; index += 1)
      counts[shardOf(`1201_612_${index}_20190124030424@callenabler245.huaweicaas.com`, 4)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('sends pushes without a routing key (rejected bodies, old jobs) to shard 0, and everything to 0 with one shard', () => {
    expect(shardOf(undefined, 4)).toBe(0);
    expect(shardOf('anything', 1)).toBe(0);
  });
});
