import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { usageError, type CommandContext } from './context.ts';

/**
 * The same parsing rules for every command and subcommand (addCommand does not pass settings on):
 * errors are thrown to main.ts's handler instead of exiting inside commander, and each is written
 * as a single line, commander's "(Did you mean …?)" hint included.
 */
export function applyConventions(command: CommandUnknownOpts, ctx: CommandContext): void {
  command
    .exitOverride()
    .helpOption('-h, --help', 'print this help')
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`callpipe: ${text.trim().split('\n').join(' ')}\n`),
    });
  for (const subcommand of command.commands) applyConventions(subcommand, ctx);
  if (command.commands.length > 0) {
    const help = helpCommand(command, ctx);
    applyConventions(help, ctx);
    command.helpCommand(false).addCommand(help);
  }
}

/**
 * `help <command>` as a command of its own, not commander's built-in one: that one answers an
 * unknown name with the whole usage on stderr, and has no `help --help`.
 */
function helpCommand(parent: CommandUnknownOpts, ctx: CommandContext) {
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
      ctx.settle(0);
    });
}
