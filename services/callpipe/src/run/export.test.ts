import { describe, expect, it } from 'vitest';
import { formatOfFileName } from './export.ts';

describe('formatOfFileName', () => {
  it.each([
    ['cdrs.csv', 'csv'],
    ['cdrs.CSV.gz', 'csv'],
    ['cdrs.ndjson', 'ndjson'],
    ['cdrs.jsonl.gz', 'ndjson'],
    ['cdrs.parquet', 'parquet'],
    ['cdrs.parquet.gz', 'parquet'],
    ['cdrs.txt', undefined],
    ['cdrs.gz', undefined],
  ])('when --out is %s, then the format is %s', (file, format) => {
    expect(formatOfFileName(file)).toBe(format);
  });
});
