import { Command } from '@commander-js/extra-typings';
import { relaunchWithBulkHeap } from './bulk-heap.ts';
import { prose, type CommandContext } from './context.ts';

// The lists in the help (formats, default batch size) are checked against @callpipe/replay by the
// CLI test; importing it here would load the database driver for every --help.
export function replayCommand(ctx: CommandContext) {
  return new Command('replay')
    .description(
      prose(`Replays files of pushes and CDRs (a platform re-send, a console export, a dump) through the same
validation and exactly-once store as live pushes. Formats are detected from the content: one push
body, a JSON array of records or push bodies, JSON lines of either, or CSV whose header names FeeInfo
fields (sessionId required); any of them gzip-compressed. - reads standard input.

Each item is one delivery with an id derived from its file name, position and content: replaying a
file again changes nothing, and a CDR that already arrived live only gets its delivery_count raised.`),
    )
    .summary('replay CDR/push files (JSON, JSON lines, CSV, gzip) exactly once; --dry-run to compare')
    .argument('<file...>', 'files to replay, or - for standard input')
    .option(
      '--dry-run',
      'read, validate and compare with what is stored; report every record as new, stored_identical, stored_different (with the differing fields) or invalid; write nothing (--strict adds nothing to a dry run)',
    )
    .option(
      '--strict',
      'write nothing unless every record of every file is valid (all files are read and checked first, then read again to write; - is kept in a temporary file for that)',
    )
    .option('--json', 'records and the final summary as JSON lines on stdout (problems and progress stay on stderr)')
    .option('--format <format>', 'skip the detection: push, json-array, jsonl or csv')
    .option('--rate <records-per-second>', 'at most this many records per second, to spare a busy database')
    .option('--batch-size <n>', 'deliveries per transaction (default 500)')
    .addHelpText('after', '\nExit code: 0 all records valid, 1 some record or file was invalid, 2 usage error or unreadable file.')
    .action(async (files, flags, command) => {
      relaunchWithBulkHeap(ctx.env);
      const { replayFiles } = await import('../run/replay.ts');
      ctx.settle(await replayFiles(command, files, flags, ctx.env, ctx.io));
    });
}
