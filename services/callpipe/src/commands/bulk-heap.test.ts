import { describe, expect, it } from 'vitest';
import { BULK_HEAP_FLAGS, bulkHeapArgv } from './bulk-heap.ts';

const NODE = '/usr/bin/node';
const ARGV = [NODE, '/app/main.js', 'replay', '--json', 'cdrs.csv'];

describe('bulkHeapArgv', () => {
  it('when the process runs with no heap choice, then it restarts with the bulk flags before its own, the same script and arguments', () => {
    expect(bulkHeapArgv(NODE, ['--conditions=@callpipe/source'], ARGV, undefined)).toEqual([
      NODE,
      ...BULK_HEAP_FLAGS,
      '--conditions=@callpipe/source',
      '/app/main.js',
      'replay',
      '--json',
      'cdrs.csv',
    ]);
  });

  it('when the process already runs with the bulk flags (after its restart), then it does not restart again', () => {
    expect(bulkHeapArgv(NODE, [...BULK_HEAP_FLAGS], ARGV, undefined)).toBeNull();
  });

  it.each([
    ['its command line', ['--max-semi-space-size=32'], undefined],
    ['NODE_OPTIONS', [], '--max-old-space-size=512 --max-semi-space-size=16'],
    ['a flag given without a value', ['--max-semi-space-size'], ''],
  ])('when the operator chose a heap flag on %s, then the choice stands', (_where, execArgv, nodeOptions) => {
    expect(bulkHeapArgv(NODE, execArgv, ARGV, nodeOptions)).toBeNull();
  });

  it('when NODE_OPTIONS sets other flags only, then it still restarts', () => {
    expect(bulkHeapArgv(NODE, [], ARGV, '--max-old-space-size=512 --enable-source-maps')).toEqual([
      NODE,
      ...BULK_HEAP_FLAGS,
      ...ARGV.slice(1),
    ]);
  });
});
