import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AKSK_HEADER_NAMES, digestVariants, isDigestVariant, signPush, type DigestVariant } from '@callpipe/auth';
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
  sign: z
    .string()
    .optional()
    .transform((spec, ctx) => {
      if (spec === undefined) return null;
      const signer = parseSigner(spec);
      if (signer === null)
        ctx.addIssue({ code: 'custom', message: `must be appKey:secret[:variant], variant one of ${digestVariants.join(', ')}` });
      return signer;
    }),
  signUrl: z.url({ message: '--sign-url must be a URL' }).optional(),
});

export interface Signer {
  appKey: string;
  secret: string;
  variant: DigestVariant;
}

/** `appKey:secret[:variant]`; a secret may hold colons, so only a known variant name at the end is taken as one. */
export function parseSigner(spec: string): Signer | null {
  const [appKey, ...rest] = spec.split(':');
  const last = rest.at(-1);
  const variant = rest.length >= 2 && last !== undefined && isDigestVariant(last) ? last : 'url_newline';
  const secret = (variant === last && rest.length >= 2 ? rest.slice(0, -1) : rest).join(':');
  return appKey && secret ? { appKey, secret, variant } : null;
}
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
  sign?: string;
  signUrl?: string;
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
  const signer = options.sign;
  if (signer) io.out(`signing as ${signer.appKey} (${signer.variant}) for ${options.signUrl ?? options.url}`);
  const sent: Sent[] = await drive(() => options.url, sends, {
    ratePerSecond: options.rate,
    concurrency: options.concurrency,
    ...(signer ? { headersFor: (url: string) => signedHeaders(signer, options.signUrl ?? url) } : {}),
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

/** A fresh nonce and the current time for every push, as the platform signs. */
function signedHeaders(signer: Signer, url: string): Record<string, string> {
  const headers = signPush({ ...signer, url, nonce: randomBytes(16).toString('hex'), created: new Date() });
  return { [AKSK_HEADER_NAMES.authorization]: headers.authorization, [AKSK_HEADER_NAMES.xAksk]: headers.xAksk };
}
