import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectSpool } from '@callpipe/ingest';
import type { SinglePush } from '@callpipe/queue';
import { buildTraffic, drive, tallyWhenSettled, type Tally } from '@callpipe/simulator';
import { waitFor } from '@callpipe/testkit';
import { createPostgres, createRedis, type PostgresInstance, type RedisInstance } from '../support/instances.ts';
import { printFaultSummary, startPipeline, type Pipeline } from '../support/pipeline.ts';

// The spool must never drop an acked push silently: a byte flipped on disk in the middle of a
// spooled segment costs exactly that push, which ends up in the quarantine and in the metric,
// while every other push of the segment reaches Postgres.

const RS = 0x1e;
let redis: RedisInstance;
let postgres: PostgresInstance;
let pipeline: Pipeline;
const summary: Array<Tally & { fault: string }> = [];

beforeAll(async () => {
  [redis, postgres] = await Promise.all([createRedis(), createPostgres()]);
  pipeline = await startPipeline({ name: 'spool-corruption', redisUrl: redis.url, postgresServerUrl: postgres.serverUrl });
});

afterAll(async () => {
  await pipeline?.close();
  await Promise.all([redis?.stop(), postgres?.stop()]);
  printFaultSummary(summary, 'spool-corruption summary (the quarantined push is left out of the expected records)');
});

const metricsText = async () => (await fetch(`http://127.0.0.1:${pipeline.env['INGEST_ADMIN_PORT']}/metrics`)).text();
const counter = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

/** Flips one byte in the middle of the payload of the record nearest the middle of the segment. */
function corruptMiddleRecord(path: string): { offset: number; length: number; push: SinglePush; corrupted: Buffer } {
  const bytes = readFileSync(path);
  let start = bytes.lastIndexOf(RS, Math.floor(bytes.length / 2));
  if (start <= 0) start = bytes.indexOf(RS, 1);
  const headerEnd = bytes.indexOf(0x0a, start);
  const payloadEnd = bytes.indexOf(0x0a, headerEnd + 1);
  const push = JSON.parse(bytes.toString('utf8', headerEnd + 1, payloadEnd)) as SinglePush;
  const flipAt = headerEnd + 1 + Math.floor((payloadEnd - headerEnd - 1) / 2);
  bytes[flipAt] = bytes[flipAt]! ^ 0x01;
  writeFileSync(path, bytes);
  return { offset: start, length: payloadEnd + 1 - start, push, corrupted: bytes.subarray(start, payloadEnd + 1) };
}

describe('spool corruption', () => {
  it('a byte flipped in a spooled segment: that push is quarantined and counted, every other acked push is stored once', async () => {
    const spoolDir = pipeline.env['INGEST_SPOOL_DIR']!;
    await redis.kill();
    const sent = await drive(pipeline.baseUrl, buildTraffic(31, 25), { ratePerSecond: 100, concurrency: 16 });
    expect(sent.every((item) => item.outcome === 'acked')).toBe(true);
    const spooled = (await metricsText())
      .split('\n')
      .filter((line) => line.startsWith('callpipe_ingest_requests_total') && line.includes('code="spooled"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(spooled).toBe(sent.length);

    expect(await pipeline.ingest.stop('SIGTERM')).toBe(0);
    const segments = readdirSync(spoolDir).filter((name) => name.endsWith('.spool'));
    const segment = segments.map((name) => ({ name, size: readFileSync(join(spoolDir, name)).length })).sort((a, b) => b.size - a.size)[0]!
      .name;
    const damaged = corruptMiddleRecord(join(spoolDir, segment));
    const inspected = await inspectSpool(spoolDir);
    expect(inspected.records).toBe(sent.length - 1);
    expect(inspected.segments.flatMap((report) => report.badRecords.map((bad) => [report.name, bad.offset, bad.length]))).toEqual([
      [segment, damaged.offset, damaged.length],
    ]);

    await redis.start();
    await pipeline.startIngest();
    await waitFor(async () => counter(await metricsText(), 'callpipe_ingest_spool_quarantined_total') === 1, {
      timeoutMs: 30_000,
      what: 'the damaged record to be quarantined',
    });

    // Every acked push but the damaged one is stored exactly once.
    const body = JSON.stringify(JSON.parse(damaged.push.data.body));
    const lostIndex = sent.findIndex((item) => JSON.stringify(item.push) === body);
    expect(lostIndex).toBeGreaterThanOrEqual(0);
    const expected = sent.filter((_, index) => index !== lostIndex);
    const result = await tallyWhenSettled(pipeline.db, expected, 60_000);
    summary.push({ fault: 'spool-byte-flipped', ...result });
    expect(result).toMatchObject({ settled: true, lost: 0, duplicated: 0, acked: sent.length - 1 });
    expect(result.stored).toBe(result.expected);
    const deliveries = await pipeline.db.selectFrom('push_deliveries').select('delivery_id').execute();
    expect(deliveries.map((row) => row.delivery_id)).not.toContain(damaged.push.data.deliveryId);
    expect(deliveries).toHaveLength(sent.length - 1);

    // The damaged record is kept, byte for byte, with where it came from; the spool is otherwise empty.
    const quarantined = readdirSync(join(spoolDir, 'quarantine'));
    expect(quarantined).toHaveLength(1);
    const kept = JSON.parse(readFileSync(join(spoolDir, 'quarantine', quarantined[0]!), 'utf8')) as Record<string, unknown>;
    expect(kept).toMatchObject({ segment, offset: damaged.offset, length: damaged.length, reason: 'checksum_mismatch' });
    expect(Buffer.from(kept['bytesBase64'] as string, 'base64')).toEqual(damaged.corrupted);
    await waitFor(async () => (await inspectSpool(spoolDir)).segments.length === 0, { what: 'the spool to be drained' });
    expect(counter(await metricsText(), 'callpipe_ingest_spool_drained_total')).toBe(sent.length - 1);

    // The warning names the record, with phone numbers masked.
    const output = pipeline.ingest.output();
    expect(output).toContain('damaged spool record moved to the quarantine');
    expect(output).not.toMatch(/\+86\d{11}/);
  });
});
