import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspectSpool } from '@callpipe/ingest';
import type { SinglePush } from '@callpipe/queue';
import { encodeRecord } from '../src/spool/segment-format.ts';
import { Spool } from '../src/spool/spool.ts';

const push = (receivedAt: string): SinglePush => ({
  name: 'fee',
  data: { deliveryId: randomUUID(), source: 'test', receivedAt, contentType: null, body: '{}', bodyEncoding: 'utf8', rejection: null },
});

/** Every file under the directory with its bytes, to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), 'base64');
  }
  return files;
}

describe('inspectSpool', () => {
  it('when segments hold good, damaged and torn records next to a running ingest, then it reports them all and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callpipe-inspect-'));
    const records = [push('2024-06-11T02:30:17.000Z'), push('2024-06-11T02:30:15.000Z'), push('2024-06-11T02:30:16.000Z')].map(
      encodeRecord,
    );
    records[1]![30] = records[1]![30]! ^ 0x01;
    const torn = encodeRecord(push('2024-06-11T02:30:18.000Z'));
    writeFileSync(join(dir, '1718073015000-000001.spool'), Buffer.concat([...records, torn.subarray(0, 10)]));
    writeFileSync(join(dir, '1718000000000-000001.jsonl'), `${JSON.stringify(push('2024-06-10T00:00:00.000Z'))}\n`);
    const running = new Spool({ dir, maxBytes: 10_000_000 });
    await running.open();
    const before = snapshot(dir);

    const report = await inspectSpool(dir);

    expect(snapshot(dir)).toEqual(before);
    expect(report).toMatchObject({
      dir,
      records: 3,
      badRecords: 1,
      quarantined: 0,
      lock: { pid: process.pid, alive: true },
      segments: [
        {
          name: '1718000000000-000001.jsonl',
          format: 'lines',
          records: 1,
          oldestReceivedAt: '2024-06-10T00:00:00.000Z',
          badRecords: [],
          tornTail: null,
        },
        {
          name: '1718073015000-000001.spool',
          format: 'framed',
          records: 2,
          oldestReceivedAt: '2024-06-11T02:30:16.000Z',
          badRecords: [{ offset: records[0]!.length, length: records[1]!.length, reason: 'checksum_mismatch' }],
          tornTail: { offset: records[0]!.length + records[1]!.length + records[2]!.length, bytes: 10 },
        },
      ],
    });
    expect(report.bytes).toBe(
      Object.keys(before)
        .filter((path) => /\.(spool|jsonl)$/.test(path))
        .reduce((sum, path) => sum + Buffer.from(before[path]!, 'base64').length, 0),
    );

    // After a drain the damaged record is in the quarantine, and the report says so.
    await running.drain(async () => undefined);
    await running.close();
    expect(await inspectSpool(dir)).toMatchObject({ segments: [], records: 0, badRecords: 0, quarantined: 1, lock: null });
  });
});
