import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool, type SpoolEntry } from '@callpipe/ingest';
import { callpipe, expectHelp, expectUsageError, refusedEnv, type CliResult } from '../support/cli.ts';

const RS = 0x1e;
const n = (value: number) => value.toLocaleString('en-US');
const directories: string[] = [];
afterAll(() => Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true }))));

const push = (receivedAt: string): SpoolEntry => ({
  name: 'status',
  data: { deliveryId: randomUUID(), source: 'test', receivedAt, contentType: null, body: '{}', bodyEncoding: 'utf8', rejection: null },
});

/** A spool directory written by the ingest's own writer: one segment per batch, closed like a stopped ingest. */
async function spoolWith(...batches: string[][]): Promise<{ dir: string; segments: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'callpipe-cli-spool-'));
  directories.push(dir);
  let now = 1_718_073_015_000;
  const spool = new Spool({ dir, maxBytes: 10_000_000, clock: () => now });
  await spool.open();
  for (const batch of batches) {
    // A drain closes the segment being written; sending nothing keeps its records where they are.
    await Promise.all(batch.map((receivedAt) => spool.append(push(receivedAt))));
    now += 1_000;
    await spool.drain(() => Promise.reject(new Error('Redis is down')), 1).catch(() => undefined);
  }
  await spool.close();
  return { dir, segments: (await readdir(dir)).filter((name) => name.endsWith('.spool')).sort() };
}

/** Start offsets of the records of a framed segment. */
async function recordOffsets(path: string): Promise<number[]> {
  const bytes = await readFile(path);
  return [...bytes.keys()].filter((offset) => bytes[offset] === RS);
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name)] = (await readFile(join(entry.parentPath, entry.name))).toString('base64');
  }
  return files;
}

/** With --json: exactly one JSON value on stdout, nothing on stderr. */
function json<T>(result: CliResult, code: number): T {
  expect(result, JSON.stringify(result)).toMatchObject({ code, stderr: '' });
  expect(result.stdout.endsWith('\n') && !result.stdout.slice(0, -1).includes('\n'), result.stdout).toBe(true);
  return JSON.parse(result.stdout) as T;
}

describe('callpipe spool', () => {
  it.each([[['spool']], [['spool', 'status']], [['spool', 'verify']]])(
    'when %j is given --help or -h, then it prints its usage and exits 0 without reading the env',
    async (command) => {
      const usage = command.length === 1 ? 'callpipe spool [options] [command]' : `callpipe ${command.join(' ')} [options]`;
      for (const flag of ['--help', '-h']) expectHelp(await callpipe([...command, flag], refusedEnv), usage);
      if (command.length > 1) expect((await callpipe([...command, '-h'], refusedEnv)).stdout).toMatch(/^Exit code: 0 /m);
    },
  );

  it('when given an unknown subcommand, an unknown option, an extra argument or no --dir value, then it exits 2 with one line on stderr', async () => {
    const { dir } = await spoolWith(['2024-06-11T02:30:15.000Z']);
    const env = { INGEST_SPOOL_DIR: dir };
    expectUsageError(await callpipe(['spool', 'shuffle'], env), "unknown command 'shuffle'");
    expectUsageError(await callpipe(['spool', 'status', '--bogus'], env), "unknown option '--bogus'");
    expectUsageError(await callpipe(['spool', 'verify', '--jsn'], env), "unknown option '--jsn' (Did you mean --json?)");
    expectUsageError(await callpipe(['spool', 'verify', 'now'], env), "too many arguments for 'verify'");
    expectUsageError(await callpipe(['spool', 'status', '--dir'], env), "option '--dir <path>' argument missing");
    expectUsageError(await callpipe(['spool', 'status', '--dir', ''], env), '--dir: must not be empty');
  });

  it('when the directory is missing or not a directory, then it exits 2 naming it and where it came from', async () => {
    const { dir, segments } = await spoolWith(['2024-06-11T02:30:15.000Z']);
    const missing = join(dir, 'missing');
    expectUsageError(await callpipe(['spool', 'status', '--dir', missing], {}), `--dir ${missing}: no such directory`);
    expectUsageError(await callpipe(['spool', 'verify', '--dir', join(dir, segments[0]!)], {}), ': not a directory');
    expectUsageError(
      await callpipe(['spool', 'verify', '--json'], { INGEST_SPOOL_DIR: missing }),
      `INGEST_SPOOL_DIR ${missing}: no such directory`,
    );
  });

  it('when the env is invalid, then it refuses it like every command (exit 1), even with --dir', async () => {
    const { dir } = await spoolWith(['2024-06-11T02:30:15.000Z']);
    const result = await callpipe(['spool', 'status', '--dir', dir], refusedEnv);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('LOG_LEVEL');
  });

  it('when a spool written by the ingest is read with status, then it reports its segments, totals and lock holder', async () => {
    const { dir, segments } = await spoolWith(
      ['2024-06-11T02:30:17.000Z', '2024-06-11T02:30:15.000Z', '2024-06-11T02:30:16.000Z'],
      ['2024-06-11T02:31:00.000Z', '2024-06-11T02:31:01.000Z'],
    );
    expect(segments).toHaveLength(2);
    const before = await snapshot(dir);

    const report = json<Record<string, unknown>>(await callpipe(['spool', 'status', '--json'], { INGEST_SPOOL_DIR: dir }), 0);
    expect(report).toMatchObject({
      dir,
      records: 5,
      badRecords: 0,
      quarantined: 0,
      lock: null,
      segments: [
        { name: segments[0], format: 'framed', records: 3, oldestReceivedAt: '2024-06-11T02:30:15.000Z', badRecords: [], tornTail: null },
        { name: segments[1], format: 'framed', records: 2, oldestReceivedAt: '2024-06-11T02:31:00.000Z', badRecords: [], tornTail: null },
      ],
    });
    const sizes = await Promise.all(segments.map(async (name) => (await readFile(join(dir, name))).length));
    expect(report['bytes']).toBe(sizes[0]! + sizes[1]!);

    // The human table: one row per segment, on stdout only.
    const table = await callpipe(['spool', 'status', '--dir', dir], {});
    expect(table, table.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^spool .*: 2 segments, 5 records, [\d,]+ bytes; 0 damaged records, 0 quarantined\n/);
    expect(table.stdout).toContain('lock: none');
    expect(table.stdout).toMatch(new RegExp(`^${segments[0]}  framed +3 +[\\d,]+  2024-06-11T02:30:15\\.000Z  -$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${segments[1]}  framed +2 +[\\d,]+  2024-06-11T02:31:00\\.000Z  -$`, 'm'));

    // Next to a running ingest: it names the holder and takes nothing from it.
    const running = new Spool({ dir, maxBytes: 10_000_000 });
    await running.open();
    try {
      const held = json<{ lock: unknown }>(await callpipe(['spool', 'status', '--json', '--dir', dir], {}), 0);
      expect(held.lock).toEqual({ pid: process.pid, alive: true });
      expect((await callpipe(['spool', 'status', '--dir', dir], {})).stdout).toContain(`lock: held by process ${process.pid} (running)`);
      expect(json(await callpipe(['spool', 'verify', '--json', '--dir', dir], {}), 0)).toMatchObject({ clean: true, records: 5 });
    } finally {
      await running.close();
    }
    expect(await snapshot(dir)).toEqual(before);
  });

  it('when a byte in the middle of a segment was flipped, then verify names the damaged record, exits 1 and changes nothing', async () => {
    const { dir, segments } = await spoolWith(['2024-06-11T02:30:15.000Z', '2024-06-11T02:30:16.000Z', '2024-06-11T02:30:17.000Z']);
    const path = join(dir, segments[0]!);
    const offsets = await recordOffsets(path);
    expect(offsets).toHaveLength(3);
    const bytes = await readFile(path);
    const middle = Math.floor((offsets[1]! + offsets[2]!) / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    await writeFile(path, bytes);
    const before = await snapshot(dir);

    const verdict = json(await callpipe(['spool', 'verify', '--json', '--dir', dir], {}), 1);
    expect(verdict).toMatchObject({
      clean: false,
      records: 2,
      badRecords: [{ segment: segments[0], offset: offsets[1], length: offsets[2]! - offsets[1]!, reason: 'checksum_mismatch' }],
      tornTails: [],
      quarantined: 0,
    });

    const table = await callpipe(['spool', 'verify', '--dir', dir], {});
    expect(table).toMatchObject({ code: 1, stderr: '' });
    expect(table.stdout).toMatch(new RegExp(`^${segments[0]} +${offsets[1]} +${offsets[2]! - offsets[1]!}  checksum_mismatch`, 'm'));
    expect(table.stdout).toMatch(/^verify: NOT clean \(exit 1\)$/m);
    expect(await snapshot(dir)).toEqual(before);

    // Once a drain has moved it to quarantine/, the segment is gone but verify still fails.
    const ingest = new Spool({ dir, maxBytes: 10_000_000 });
    await ingest.open();
    await ingest.drain(async () => undefined);
    await ingest.close();
    expect(json(await callpipe(['spool', 'verify', '--json', '--dir', dir], {}), 1)).toMatchObject({
      clean: false,
      segments: 0,
      badRecords: [],
      quarantined: 1,
    });
    const quarantined = await callpipe(['spool', 'verify', '--dir', dir], {});
    expect(quarantined).toMatchObject({ code: 1, stderr: '' });
    expect(quarantined.stdout).toContain(`1 damaged record kept in ${dir}/quarantine/`);
  });

  it('when the last record was cut short, then verify lists it as a torn tail and still exits 0', async () => {
    const { dir, segments } = await spoolWith(['2024-06-11T02:30:15.000Z', '2024-06-11T02:30:16.000Z']);
    const path = join(dir, segments[0]!);
    const offsets = await recordOffsets(path);
    const size = (await readFile(path)).length;
    await truncate(path, size - 7);

    const verdict = json(await callpipe(['spool', 'verify', '--json', '--dir', dir], {}), 0);
    expect(verdict).toMatchObject({
      clean: true,
      records: 1,
      badRecords: [],
      tornTails: [{ segment: segments[0], offset: offsets[1], bytes: size - 7 - offsets[1]! }],
    });
    const table = await callpipe(['spool', 'verify', '--dir', dir], {});
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(new RegExp(`^${segments[0]} +${offsets[1]} +${size - 7 - offsets[1]!}  torn tail`, 'm'));
    expect(table.stdout).toMatch(/^verify: clean$/m);
    const status = await callpipe(['spool', 'status', '--dir', dir], {});
    expect(status.stdout).toContain(`torn tail of ${n(size - 7 - offsets[1]!)} bytes`);
  });
});
