import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { createDatabase } from '@callpipe/db';
import { buildTraffic, drive, tallyWhenSettled, type Sent } from '@callpipe/simulator';
import { parseMigrateEnv } from '../env.ts';
import { checkOptions, type CliIo, type Outcome } from '../commands/context.ts';

const optionsSchema = z.object({
  url: z.url({ message: '--url must be the push URL, e.g. http://127.0.0.1:8080/voicecall/events' }),
  calls: z.coerce.number().int().min(1).max(10_000_000),
  rate: z.coerce.number().positive().max(1_000_000),
  concurrency: z.coerce.number().int().min(1).max(1_000),
  seed: z.coerce.number().int(),
  verify: z.boolean(),
  timeout: z.coerce.number().positive(),
  maxCdrsPerPush: z.coerce.number().int().min(1).max(50),
});
export type SimulateOptions = z.output<typeof optionsSchema>;

/** What commander parsed, before the values are checked. */
export interface SimulateFlags {
  url: string;
  calls: string;
  rate: string;
  concurrency: string;
  seed?: string;
  maxCdrsPerPush: string;
  verify?: true;
  timeout: string;
}

export async function simulate(command: CommandUnknownOpts, flags: SimulateFlags, env: NodeJS.ProcessEnv, io: CliIo): Promise<Outcome> {
  const options = checkOptions(command, optionsSchema, {
    ...flags,
    seed: flags.seed ?? String(Date.now() % 1_000_000),
    verify: flags.verify === true,
  });
  const { DATABASE_URL } = parseMigrateEnv(env);
  return runSimulate(options, DATABASE_URL, io);
}

/** `callpipe simulate`: the load generator operators point at a staging deployment. */
export async function runSimulate(options: SimulateOptions, databaseUrl: string, io: Pick<CliIo, 'out' | 'err'>): Promise<number> {
  const sends = buildTraffic(options.seed, options.calls, { maxCdrsPerPush: options.maxCdrsPerPush });
  io.out(`simulate: ${options.calls} calls → ${sends.length} pushes at ${options.rate}/s to ${options.url} (seed ${options.seed})`);
  const started = Date.now();
  let lastReport = started;
  const sent: Sent[] = await drive(() => options.url, sends, {
    ratePerSecond: options.rate,
    concurrency: options.concurrency,
    onResult: (_result, done) => {
      if (Date.now() - lastReport >= 2_000) {
        lastReport = Date.now();
        io.err(`  ${done}/${sends.length} sent, ${Math.round((done * 1000) / (lastReport - started))}/s\n`);
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const counts = { acked: 0, rejected: 0, unavailable: 0, error: 0 };
  for (const item of sent) counts[item.outcome] += 1;
  io.out(`sent ${sent.length} in ${seconds.toFixed(1)} s (${Math.round(sent.length / seconds)}/s): ${JSON.stringify(counts)}`);
  if (!options.verify) return counts.rejected + counts.unavailable + counts.error === 0 ? 0 : 1;

  const db = createDatabase({ connectionString: databaseUrl, poolSize: 2, applicationName: 'callpipe-simulate' });
  try {
    const result = await tallyWhenSettled(db, sent, options.timeout * 1000);
    io.out(`verify: ${JSON.stringify(result)}`);
    io.out(
      result.settled && result.lost === 0 && result.duplicated === 0
        ? 'verify: OK — every acked push stored exactly once'
        : 'verify: FAILED',
    );
    return result.settled && result.lost === 0 && result.duplicated === 0 ? 0 : 1;
  } finally {
    await db.destroy();
  }
}
