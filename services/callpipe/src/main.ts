import { readFileSync } from 'node:fs';
import { Command, CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { usageError, USAGE_EXIT_CODE, type CliIo, type CommandContext, type Outcome } from './commands/context.ts';
import { deadLettersCommand } from './commands/dead-letters.ts';
import { ingestCommand } from './commands/ingest.ts';
import { migrateCommand } from './commands/migrate.ts';
import { partitionsCommand } from './commands/partitions.ts';
import { replayCommand } from './commands/replay.ts';
import { reprocessCommand } from './commands/reprocess.ts';
import { simulateCommand } from './commands/simulate.ts';
import { startCommand } from './commands/start.ts';
import { workerCommand } from './commands/worker.ts';

// Adding a command: a file in commands/ exporting `fooCommand(ctx): Command` whose action parses its
// env from ctx.env, does the work and calls ctx.settle(exit code or 'keep-running'); then one
// `.addCommand(fooCommand(context))` below. Subcommands (`foo list|show`) are `.command()`s on it.
// Help, -h, unknown options and the error format come from configure() for every command alike.

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
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
  .addCommand(partitionsCommand(context))
  .addCommand(deadLettersCommand(context))
  .addCommand(replayCommand(context))
  .addCommand(reprocessCommand(context))
  .addCommand(simulateCommand(context));
configure(program);

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
    const { ConfigError, coerceError } = await import('@callpipe/runtime');
    const failure = coerceError(error);
    console.error(
      failure instanceof ConfigError
        ? failure.message
        : `callpipe: ${failure.message}${failure.cause ? `\ncaused by: ${coerceError(failure.cause).message}` : ''}`,
    );
    process.exit(1);
  },
);

/**
 * The same parsing rules for every command and subcommand (addCommand does not pass settings on):
 * errors are thrown to the handler above instead of exiting inside commander, and each is written
 * as a single line, commander's "(Did you mean …?)" hint included.
 */
function configure(command: CommandUnknownOpts): void {
  command
    .exitOverride()
    .helpOption('-h, --help', 'print this help')
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`callpipe: ${text.trim().split('\n').join(' ')}\n`),
    });
  for (const subcommand of command.commands) configure(subcommand);
  if (command.commands.length > 0) command.helpCommand(false).addCommand(configured(helpCommand(command)));
}

function configured<C extends CommandUnknownOpts>(command: C): C {
  configure(command);
  return command;
}

/**
 * `help <command>` as a command of its own, not commander's built-in one: that one answers an
 * unknown name with the whole usage on stderr, and has no `help --help`.
 */
function helpCommand(parent: CommandUnknownOpts) {
  return new Command('help')
    .description('print the help of a command')
    .argument('[command...]', 'the command, and its subcommand if it has them')
    .action((names, _options, help) => {
      let target = parent;
      for (const name of names) {
        const next = target.commands.find((command) => command.name() === name);
        if (next === undefined) return usageError(help, `unknown command '${names.join(' ')}'`);
        target = next;
      }
      target.outputHelp();
      context.settle(0);
    });
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('services/callpipe/package.json has no version');
  return manifest.version;
}
