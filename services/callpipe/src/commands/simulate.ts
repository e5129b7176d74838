import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function simulateCommand(ctx: CommandContext) {
  return new Command('simulate')
    .description(
      prose(`Sends realistic VoiceCall traffic for N calls at R pushes/s: all three businesses, both click-to-call
legs, collected digits, failed and unanswered calls, merged CDR pushes, CDR re-pushes and duplicate
status pushes, in scrambled order. Every push that got 200 is recorded; with --verify the tables
behind DATABASE_URL are then checked to hold exactly what was acknowledged (exit 1 if not).`),
    )
    .summary('send realistic traffic, optionally --verify that the tables hold exactly what was acked')
    .requiredOption('--url <push-url>', 'the push endpoint, e.g. http://127.0.0.1:8080/voicecall/events')
    .option('--calls <n>', 'calls to simulate', '1000')
    .option('--rate <pushes-per-second>', 'pushes per second', '200')
    .option('--concurrency <c>', 'requests in flight', '32')
    .option('--seed <s>', 'traffic seed (default: from the clock)')
    .option('--max-cdrs-per-push <k>', 'CDRs merged into one push, 1–50', '5')
    .option(
      '--sign <appKey:secret[:variant]>',
      'sign every push as the platform does (X-AKSK), to test an ingest in INGEST_SIGNATURE_MODE=enforce; variant url_newline (default), url_concat or nonce_created',
    )
    .option('--sign-url <url>', 'the URL signed, as configured at Huawei and in INGEST_SIGNATURE_URL (default: --url)')
    .option('--verify', 'then check the tables behind DATABASE_URL hold exactly what was acked')
    .option('--timeout <seconds>', 'how long --verify waits for the pipeline to settle', '120')
    .addHelpText('after', '\nExit code: 0 every push acked (and, with --verify, stored exactly once), 1 otherwise, 2 usage error.')
    .action(async (flags, command) => {
      const { simulate } = await import('../run/simulate.ts');
      ctx.settle(await simulate(command, flags, ctx.env, ctx.io));
    });
}
