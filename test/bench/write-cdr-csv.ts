// Writes a CSV of generated CDRs with FeeInfo field names as its header:
// `node --conditions=@callpipe/source test/bench/write-cdr-csv.ts <path> <count>`. The replay
// benchmark runs it in a child process so generating the file does not share its cores or heap
// with the measurement. Rows are generated as they are written, a thousand at a time.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRandom, generateCall } from '@callpipe/fixtures';
import { CDR_CSV_COLUMNS } from './cdr-csv-columns.ts';

const cell = (value: unknown) => {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

function* csvText(count: number, seed: number): Generator<string> {
  const random = createRandom(seed);
  yield `${CDR_CSV_COLUMNS.join(',')}\n`;
  for (let start = 0; start < count; start += 1000) {
    const rows: string[] = [];
    for (let index = start; index < Math.min(count, start + 1000); index += 1) {
      const cdr = generateCall(random, index).cdr as Record<string, unknown>;
      rows.push(CDR_CSV_COLUMNS.map((column) => cell(cdr[column])).join(','));
    }
    yield `${rows.join('\n')}\n`;
  }
}

const [path, count, seed] = process.argv.slice(2);
if (!path || !count) throw new Error('usage: write-cdr-csv.ts <path> <count> [seed]');
await pipeline(Readable.from(csvText(Number(count), Number(seed ?? 2026))), createWriteStream(path));
