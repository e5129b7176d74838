import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDestination } from './destination.ts';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'callpipe-export-destination-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('openDestination', () => {
  it('when finished, then the file appears under its name with every byte, and the count is what was written', async () => {
    const file = join(directory, 'out.csv');
    const destination = openDestination({ file, gzip: false, stdout: new PassThrough() });
    await destination.write('a,b\r\n');
    await destination.write(Buffer.from('1,2\r\n'));
    expect(await destination.finish()).toBe(10);
    expect(await readdir(directory)).toEqual(['out.csv']);
    expect(await readFile(file, 'utf8')).toBe('a,b\r\n1,2\r\n');
  });

  it('when aborted, then no file is left behind, not even the partial one', async () => {
    const destination = openDestination({ file: join(directory, 'out.csv'), gzip: true, stdout: new PassThrough() });
    await destination.write('a,b\r\n');
    await destination.abort();
    expect(await readdir(directory)).toEqual([]);
  });

  it('when gzip goes to stdout, then stdout gets the compressed bytes and stays open', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const destination = openDestination({ file: null, gzip: true, stdout });
    await destination.write('x'.repeat(100_000));
    const bytes = await destination.finish();
    expect(gunzipSync(Buffer.concat(chunks)).toString()).toBe('x'.repeat(100_000));
    expect(bytes).toBe(Buffer.concat(chunks).length);
    expect(stdout.writableEnded).toBe(false);
  });

  it('when the reader closes stdout early, then writing fails saying the export is incomplete', async () => {
    const stdout = new PassThrough();
    const destination = openDestination({ file: null, gzip: false, stdout });
    stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await expect(
      (async () => {
        for (let i = 0; i < 100; i += 1) await destination.write('x'.repeat(100_000));
        await destination.finish();
      })(),
    ).rejects.toThrow('standard output was closed by its reader after');
  });
});
