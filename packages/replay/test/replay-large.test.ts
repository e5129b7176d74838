import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../src/index.ts';
import { count, replayFiles, databaseAndFiles } from './support.ts';

const CDR_COUNT = 200_000;
const MAX_PEAK_RSS_BYTES = 400 * 1024 * 1024;
/** Memory that grew with the records read would show as the second half's RSS exceeding the first half's. */
const MAX_SECOND_HALF_GROWTH_BYTES = 64 * 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

describe('replay of a large file', () => {
  const fixture = databaseAndFiles();

  it(
    `when a gzip'd JSON array of ${CDR_COUNT.toLocaleString('en-US')} CDRs is replayed, then all are stored and memory stays bounded`,
    { timeout: 900_000 },
    async () => {
      const path = fixture.files.path('cdrs-200k.json.gz');
      await promisify(execFile)(process.execPath, [
        '--conditions=@callpipe/source',
        fileURLToPath(new URL('./write-large-file.ts', import.meta.url)),
        path,
        String(CDR_COUNT),
      ]);
      const rssBefore = process.memoryUsage.rss();

      const samples: Array<{ records: number; rss: number }> = [];
      const run = await replayFiles(fixture.database.db, [path], {}, undefined, (snapshot) =>
        samples.push({ records: snapshot.records, rss: process.memoryUsage.rss() }),
      );
      const peakOf = (half: typeof samples) => Math.max(...half.map((sample) => sample.rss));
      const firstHalfPeak = peakOf(samples.filter((sample) => sample.records <= CDR_COUNT / 2));
      const secondHalfPeak = peakOf(samples.filter((sample) => sample.records > CDR_COUNT / 2));

      const { summary } = run;
      console.log(
        [
          `large replay: ${mib((await stat(path)).size)} gzip'd; RSS before the replay ${mib(rssBefore)}, peak over the first half ${mib(firstHalfPeak)}, over the second half ${mib(secondHalfPeak)}`,
          ...formatSummary(summary),
        ].join('\n'),
      );
      expect(run.problems).toEqual([]);
      expect(summary.records).toEqual({ total: CDR_COUNT, invalid: 0 });
      expect(summary.stored).toMatchObject({ deliveriesStored: CDR_COUNT, cdrsInserted: CDR_COUNT, callsCreated: CDR_COUNT });
      expect(await count(fixture.database.db, 'cdrs')).toBe(CDR_COUNT);
      expect(await count(fixture.database.db, 'calls')).toBe(CDR_COUNT);
      expect(samples.length).toBeGreaterThan(100);
      expect(secondHalfPeak).toBeLessThan(firstHalfPeak + MAX_SECOND_HALF_GROWTH_BYTES);
      expect(summary.peakRssBytes).toBeLessThan(MAX_PEAK_RSS_BYTES);
    },
  );
});
