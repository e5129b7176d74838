import { describe, expect, it } from 'vitest';
import { replayDeliveryId } from './delivery-id.ts';

describe('replayDeliveryId', () => {
  it('when the same item of the same file is replayed again, then its id is the same, and it is a valid UUID', () => {
    const id = replayDeliveryId('replay:cdrs.jsonl', 12, 'abc');
    expect(replayDeliveryId('replay:cdrs.jsonl', 12, 'abc')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('when the file, the position or the content differs, then the id differs', () => {
    const ids = new Set([
      replayDeliveryId('replay:a', 1, 'k'),
      replayDeliveryId('replay:b', 1, 'k'),
      replayDeliveryId('replay:a', 2, 'k'),
      replayDeliveryId('replay:a', 1, 'k2'),
    ]);
    expect(ids.size).toBe(4);
  });
});
