import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCalls } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { exitCodeOf, InputError, resolveInputs } from '../src/index.ts';
import { count, csvOf, fullSnapshot, jsonLines, replayFiles, scratchDirectory } from './support.ts';

const context = testContext();
const calls = generateCalls(91, 30);
const cdrs = calls.map((call) => call.cdr);

describe('replay of bad files', () => {
  let files: Awaited<ReturnType<typeof scratchDirectory>>;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    files = await scratchDirectory();
  });
  afterAll(async () => {
    await Promise.all([...databases.map((database) => database.drop()), files?.remove()]);
  });
  async function fresh(): Promise<TestDatabase> {
    const database = await context.createDatabase();
    databases.push(database);
    return database;
  }

  it('when a file is empty, then it is a file error, nothing is stored, and the exit code is 1', async () => {
    const database = await fresh();
    const run = await replayFiles(database.db, [await files.write('empty.jsonl', ''), await files.write('blank.csv', '\n  \n')]);
    expect(run.problems.map((problem) => problem.message)).toEqual([
      'the file is empty (no data, or only whitespace)',
      'the file is empty (no data, or only whitespace)',
    ]);
    expect(exitCodeOf(run.summary)).toBe(1);
    expect(await count(database.db, 'push_deliveries')).toBe(0);
  });

  it('when a file is in no known format, then the message says so and shows how the file starts', async () => {
    const database = await fresh();
    const path = await files.write('photo.bin', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
    const text = await files.write('notes.txt', 'call the customer back\nabout order 7\n');
    const run = await replayFiles(database.db, [path, text]);
    expect(run.problems).toEqual([
      {
        file: path,
        severity: 'error',
        message: expect.stringContaining(
          'unrecognized format: not JSON, and the first line is not a CSV header (the row is not valid UTF-8)',
        ) as string,
      },
      {
        file: text,
        severity: 'error',
        message:
          "unrecognized format: not JSON (it does not start with '[' or '{') and not CSV with a sessionId column; the first line is \"call the customer back\"",
      },
    ]);
    expect(run.summary.fileErrors).toBe(2);
  });

  it('when a gzip file is truncated, then the records before the cut are stored and the file error says it is truncated', async () => {
    const database = await fresh();
    const compressed = gzipSync(jsonLines(cdrs));
    const path = await files.write('cut.jsonl.gz', compressed.subarray(0, Math.floor(compressed.length * 0.6)));
    const run = await replayFiles(database.db, [path]);
    expect(run.problems).toEqual([
      { file: path, severity: 'error', message: expect.stringMatching(/^truncated gzip: the compressed data ends early/) as string },
    ]);
    const stored = await count(database.db, 'cdrs');
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(cdrs.length);
    expect(run.summary.records).toEqual({ total: stored, invalid: 0 });
    expect(exitCodeOf(run.summary)).toBe(1);
  });

  it('when JSON lines hold garbage lines, then the good lines are stored and each garbage line is reported by number', async () => {
    const database = await fresh();
    const content = [
      JSON.stringify(cdrs[0]),
      '<html>502 Bad Gateway</html>',
      JSON.stringify(cdrs[1]),
      '{"sessionId": "cut',
      '',
      JSON.stringify(cdrs[2]),
    ].join('\n');
    const run = await replayFiles(database.db, [await files.write('mixed.jsonl', content)]);
    expect(run.records.map((record) => [record.location, record.code])).toEqual([
      ['line 2', 'invalid_json'],
      ['line 4', 'invalid_json'],
    ]);
    expect(await count(database.db, 'cdrs')).toBe(3);
    expect(exitCodeOf(run.summary)).toBe(1);
  });

  it('when a CSV has unknown columns, then a warning names them and their values are kept in the stored record', async () => {
    const database = await fresh();
    const path = await files.write('export.csv', csvOf(cdrs.slice(0, 3).map((cdr) => ({ ...cdr, operatorNote: 'resent by hand' }))));
    const run = await replayFiles(database.db, [path]);
    expect(run.problems).toEqual([
      { file: path, severity: 'warning', message: 'unknown CSV columns, kept as text fields of each record: operatorNote' },
    ]);
    expect(exitCodeOf(run.summary)).toBe(0);
    const records = await database.db.selectFrom('cdrs').select('record').execute();
    expect(records.map((row) => (row.record as Record<string, unknown>)['operatorNote'])).toEqual([
      'resent by hand',
      'resent by hand',
      'resent by hand',
    ]);
  });

  it('when a CSV has no sessionId column, then it is a file error and nothing of it is stored', async () => {
    const database = await fresh();
    const path = await files.write('nosession.csv', csvOf(cdrs.slice(0, 3).map(({ sessionId: _s, ...rest }) => rest)));
    const run = await replayFiles(database.db, [path], { format: 'csv' });
    expect(run.problems).toEqual([
      { file: path, severity: 'error', message: expect.stringMatching(/^the CSV header has no sessionId column \(header: /) as string },
    ]);
    expect(await count(database.db, 'push_deliveries')).toBe(0);
  });

  it('when a CSV row has the wrong number of cells or the file ends inside quotes, then those rows are reported and the others stored', async () => {
    const database = await fresh();
    const lines = csvOf(cdrs.slice(0, 3)).split('\r\n');
    const content = [lines[0], lines[1], `${lines[2]},"extra"`, lines[3], '"unterminated,'].join('\r\n');
    const path = await files.write('ragged.csv', content);
    const run = await replayFiles(database.db, [path]);
    expect(run.records).toEqual([
      expect.objectContaining({
        location: 'row 3',
        code: 'invalid_csv_row',
        reason: expect.stringMatching(/^the row has \d+ cells, the header has \d+$/) as string,
      }),
    ]);
    expect(run.problems).toEqual([
      {
        file: path,
        severity: 'error',
        message: 'the file ends inside a quoted cell of row 5 (line 5): that row is cut off and was not read',
      },
    ]);
    expect(await count(database.db, 'cdrs')).toBe(2);
  });

  it('when a JSON array is truncated, then the complete elements are stored and the file error names where it was cut', async () => {
    const database = await fresh();
    const text = JSON.stringify(cdrs.slice(0, 5));
    const path = await files.write(
      'cut.json',
      text.slice(0, text.indexOf('"sessionId"', text.indexOf(cdrs[3]!['sessionId'] as string) + 50)),
    );
    const run = await replayFiles(database.db, [path]);
    expect(run.problems).toEqual([
      { file: path, severity: 'error', message: expect.stringContaining('truncated JSON array: element 5 is cut off') as string },
    ]);
    expect(await count(database.db, 'cdrs')).toBe(4);
  });

  it('when one file is bad, then the other files are still replayed', async () => {
    const database = await fresh();
    const run = await replayFiles(database.db, [
      await files.write('bad.json', '[{"sessionId"'),
      await files.write('good.jsonl', jsonLines(cdrs.slice(0, 4))),
    ]);
    expect(run.summary.files.map((file) => [file.records, file.errors.length])).toEqual([
      [0, 1],
      [4, 0],
    ]);
    expect(await count(database.db, 'cdrs')).toBe(4);
  });

  it('when --strict and any record is invalid, then nothing at all is written', async () => {
    const database = await fresh();
    const good = await files.write('strict-good.jsonl', jsonLines(cdrs.slice(0, 10)));
    const bad = await files.write('strict-bad.jsonl', jsonLines([...cdrs.slice(10, 15), { ...cdrs[15], sessionId: '' }]));
    const before = await fullSnapshot(database.db);
    const run = await replayFiles(database.db, [good, bad], { strict: true });
    expect(run.summary).toMatchObject({ strict: true, written: false, stored: null, records: { total: 16, invalid: 1 } });
    expect(run.records).toEqual([expect.objectContaining({ file: bad, location: 'line 6', status: 'invalid' })]);
    expect(await fullSnapshot(database.db)).toEqual(before);
  });

  it('when --strict and everything is valid, then standard input is read twice (checked, then written) and stored', async () => {
    const database = await fresh();
    const stdin = Readable.from([Buffer.from(jsonLines(cdrs.slice(0, 7)))]);
    const run = await replayFiles(
      database.db,
      ['-', await files.write('strict-more.csv', csvOf(cdrs.slice(7, 9)))],
      { strict: true },
      stdin,
    );
    expect(run.summary).toMatchObject({ strict: true, written: true, records: { total: 9, invalid: 0 }, stored: { deliveriesStored: 9 } });
    expect(await count(database.db, 'cdrs')).toBe(9);
  });

  it('when a file does not exist or - is given twice, then nothing is replayed and every problem is named (exit code 2 in the command)', async () => {
    const existing = await files.write('exists.jsonl', jsonLines(cdrs.slice(0, 1)));
    const attempt = resolveInputs([existing, files.path('missing.jsonl'), '-', '-'], Readable.from([]));
    await expect(attempt).rejects.toThrow(InputError);
    await expect(resolveInputs([existing, files.path('missing.jsonl'), '-', '-'], Readable.from([]))).rejects.toThrow(
      /missing\.jsonl: no such file\n- \(standard input\) can be given only once/,
    );
    await expect(resolveInputs([], Readable.from([]))).rejects.toThrow(/no input/);
    await expect(resolveInputs([files.path('')], Readable.from([]))).rejects.toThrow(/a directory, not a file/);
  });
});
