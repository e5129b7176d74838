import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDatabase } from '@callpipe/db';
import { buildTraffic, drive, tallyWhenSettled, type Sent } from '@callpipe/simulator';

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

export const SIMULATE_USAGE = `usage: pnpm callpipe simulate --url <push url> --calls N --rate R [--concurrency C] [--seed S]
                          [--max-cdrs-per-push K] [--verify [--timeout SECONDS]]

Sends realistic VoiceCall traffic for N calls at R pushes/s: all three businesses, both click-to-call
legs, collected digits, failed and unanswered calls, merged CDR pushes, CDR re-pushes and duplicate
status pushes, in scrambled order. Every push that got 200 is recorded; with --verify the tables
behind DATABASE_URL are then checked to hold exactly what was acknowledged (exit 1 if not).`;

/** `callpipe simulate`: the load generator operators point at a staging deployment. */
export async function runSimulate(argv: string[], databaseUrl: string, out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      calls: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '32' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      verify: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' },
      'max-cdrs-per-push': { type: 'string', default: '5' },
    },
  });
  const parsed = optionsSchema.safeParse({ ...values, maxCdrsPerPush: values['max-cdrs-per-push'] });
  if (!parsed.success) {
    out(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
    out(SIMULATE_USAGE);
    return 2;
  }
  const options = parsed.data;
  const sends = buildTraffic(options.seed, options.calls, { maxCdrsPerPush: options.maxCdrsPerPush });
  out(`simulate: ${options.calls} calls → ${sends.length} pushes at ${options.rate}/s to ${options.url} (seed ${options.seed})`);
  const started = Date.now();
  let lastReport = started;
  const sent: Sent[] = await drive(() => options.url, sends, {
    ratePerSecond: options.rate,
    concurrency: options.concurrency,
    onResult: (_result, done) => {
      if (Date.now() - lastReport >= 2_000) {
        lastReport = Date.now();
        out(`  ${done}/${sends.length} sent, ${Math.round((done * 1000) / (lastReport - started))}/s`);
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const counts = { acked: 0, rejected: 0, unavailable: 0, error: 0 };
  for (const item of sent) counts[item.outcome] += 1;
  out(`sent ${sent.length} in ${seconds.toFixed(1)} s (${Math.round(sent.length / seconds)}/s): ${JSON.stringify(counts)}`);
  if (!options.verify) return counts.rejected + counts.unavailable + counts.error === 0 ? 0 : 1;

  const db = createDatabase({ connectionString: databaseUrl, poolSize: 2, applicationName: 'callpipe-simulate' });
  try {
    const result = await tallyWhenSettled(db, sent, options.timeout * 1000);
    out(`verify: ${JSON.stringify(result)}`);
    out(
      result.settled && result.lost === 0 && result.duplicated === 0
        ? 'verify: OK — every acked push stored exactly once'
        : 'verify: FAILED',
    );
    return result.settled && result.lost === 0 && result.duplicated === 0 ? 0 : 1;
  } finally {
    await db.destroy();
  }
}
