import { readFileSync } from 'node:fs';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { applyConventions } from './commands/conventions.ts';
import { archiveCommand } from './commands/archive.ts';
import { USAGE_EXIT_CODE, type CliIo, type CommandContext, type Outcome } from './commands/context.ts';
import { deadLettersCommand } from './commands/dead-letters.ts';
import { exportCommand } from './commands/export.ts';
import { ingestCommand } from './commands/ingest.ts';
import { migrateCommand } from './commands/migrate.ts';
import { partitionsCommand } from './commands/partitions.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { replayCommand } from './commands/replay.ts';
import { rejectedCommand } from './commands/rejected.ts';
import { rollupsCommand, tariffsCommand } from './commands/tariffs.ts';
import { recordingsCommand } from './commands/recordings.ts';
import { reprocessCommand } from './commands/reprocess.ts';
import { simulateCommand } from './commands/simulate.ts';
import { spoolCommand } from './commands/spool.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { workerCommand } from './commands/worker.ts';

// Adding a command (or a group such as `rejected list|show`): commands/foo.ts exports
// `fooCommand(ctx)`, which declares the arguments and flags (subcommands with `.command()`); its
// action imports run/foo.ts, which checks the values (checkOptions), parses its env from ctx.env,
// does the work and returns an exit code or 'keep-running' for ctx.settle. Then one
// `.addCommand(fooCommand(context))` below; help, -h and one-line errors come from applyConventions.

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
  stdout: process.stdout,
  stdin: process.stdin,
};
let outcome: Outcome | undefined;
// The entry point hands the environment to each command's validated config; nothing else reads it.
const context: CommandContext = { env: process.env, io, settle: (settled) => (outcome = settled) };

const program = new Command('callpipe')
  .description('The push target for Huawei Cloud VoiceCall status and CDR pushes. Configuration comes from the environment; see README.md.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .addCommand(migrateCommand(context))
  .addCommand(ingestCommand(context))
  .addCommand(workerCommand(context))
  .addCommand(startCommand(context))
  .addCommand(statusCommand(context))
  .addCommand(partitionsCommand(context))
  .addCommand(archiveCommand(context))
  .addCommand(deadLettersCommand(context))
  .addCommand(spoolCommand(context))
  .addCommand(replayCommand(context))
  .addCommand(reprocessCommand(context))
  .addCommand(reconcileCommand(context))
  .addCommand(exportCommand(context))
  .addCommand(rejectedCommand(context))
  .addCommand(tariffsCommand(context))
  .addCommand(rollupsCommand(context))
  .addCommand(recordingsCommand(context))
  .addCommand(simulateCommand(context));
applyConventions(program, context);

async function run(argv: string[]): Promise<Outcome> {
  await program.parseAsync(argv, { from: 'user' });
  if (outcome === undefined) throw new Error('internal error: the command settled no outcome');
  return outcome;
}

run(process.argv.slice(2)).then(
  (settled) => {
    // A long-running service keeps the process alive until its shutdown coordinator exits it.
    if (settled !== 'keep-running') process.exit(settled);
  },
  async (error: unknown) => {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every other refusal was already written as one line on stderr.
      process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
    }
    // Loaded only now: --help and usage errors load no more than commander and the command list.
    const { ConfigError, coerceError, maskPhoneNumbersIn } = await import('@callpipe/runtime');
    const failure = coerceError(error);
    console.error(
      maskPhoneNumbersIn(
        failure instanceof ConfigError
          ? failure.message
          : `callpipe: ${failure.message}${failure.cause ? `\ncaused by: ${coerceError(failure.cause).message}` : ''}`,
      ),
    );
    process.exit(1);
  },
);

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('services/callpipe/package.json has no version');
  return manifest.version;
}
