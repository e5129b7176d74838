// Writes a gzip'd JSON array of generated CDRs: `node --conditions=@callpipe/source write-large-cdr-file.ts <path> <count>`.
// The replay-memory test runs it in a child process, so the test's own process stays small. Records
// are generated as they are written, a thousand at a time.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createRandom, generateCall } from '@callpipe/fixtures';

function* arrayText(count: number): Generator<string> {
  const random = createRandom(2024);
  yield '[\n';
  for (let start = 0; start < count; start += 1000) {
    const slice: string[] = [];
    for (let index = start; index < Math.min(count, start + 1000); index += 1) slice.push(JSON.stringify(generateCall(random, index).cdr));
    yield `${start === 0 ? '' : ',\n'}${slice.join(',\n')}`;
  }
  yield '\n]\n';
}

const [path, count] = process.argv.slice(2);
if (!path || !count) throw new Error('usage: write-large-cdr-file.ts <path> <count>');
await pipeline(Readable.from(arrayText(Number(count))), createGzip(), createWriteStream(path));
