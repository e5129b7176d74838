import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { loadTariffs, rebuildBillingRollup, setTariff } from '@callpipe/db';
import { billedLegs, businesses, isCurrency, parseMoney, parsePeriodBound, type Tariff } from '@callpipe/events';
import { parseEnv } from '@callpipe/runtime';
import { billingEnvShape } from '@callpipe/worker';
import { checkOptions, usageError, type CliIo, type Outcome } from '../commands/context.ts';
import { migrateEnvSchema } from '../env.ts';
import { withCommandDatabase } from './database.ts';

export const tariffsEnvSchema = z.object({ DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL, ...billingEnvShape });

const setSchema = z
  .object({
    appKey: z.string().min(1).max(64).optional(),
    business: z.enum(businesses).optional(),
    leg: z.enum(billedLegs, { message: 'must be call-out or forwarded' }),
    price: z.string({ message: 'is required' }).transform((value, issue) => {
      const money = parseMoney(value);
      if (money === null) issue.addIssue({ code: 'custom', message: 'must be an amount ≥ 0 with at most 6 decimals, e.g. 0.06' });
      return money ?? '';
    }),
    currency: z.string({ message: 'is required' }).refine(isCurrency, 'must be an ISO 4217 code in capitals, e.g. CNY'),
    validFrom: z.string({ message: 'is required' }),
  })
  .refine((options) => (options.appKey === undefined) !== (options.business === undefined), {
    message: 'give exactly one of --app-key and --business',
    path: ['appKey'],
  })
  .refine((options) => options.leg !== 'forwarded' || options.business === undefined || options.business === 'click2call', {
    message: '--leg forwarded: only click-to-call has a forwarded leg',
    path: ['leg'],
  });

export interface TariffsSetFlags {
  appKey?: string;
  business?: string;
  leg?: string;
  price?: string;
  currency?: string;
  validFrom?: string;
  json?: true;
}

function describeTariff(tariff: Tariff): string {
  const scope = tariff.appKey === null ? `business ${tariff.business}` : `app key ${tariff.appKey}`;
  return `#${tariff.id}  ${scope}  ${tariff.leg}  ${tariff.price} ${tariff.currency}/started minute  from ${tariff.validFrom.toISOString()}`;
}

const asJson = (tariff: Tariff) => JSON.stringify({ ...tariff, validFrom: tariff.validFrom.toISOString() });

/** `callpipe tariffs set`. */
export async function tariffsSet(command: CommandUnknownOpts, flags: TariffsSetFlags, env: NodeJS.ProcessEnv, io: CliIo): Promise<Outcome> {
  const options = checkOptions(command, setSchema, flags);
  const config = parseEnv(tariffsEnvSchema, env);
  const validFrom = parsePeriodBound(options.validFrom, config.CALLPIPE_BILLING_TIME_ZONE);
  if (validFrom === null)
    return usageError(command, '--valid-from: must be a day (2024-06-01), a wall time (2024-06-01T08:00) or an instant with offset');
  const { tariff, created } = await withCommandDatabase(config.DATABASE_URL, 'tariffs', (db) =>
    setTariff(db, {
      appKey: options.appKey ?? null,
      business: options.business ?? null,
      leg: options.leg,
      price: options.price,
      currency: options.currency,
      validFrom,
    }),
  );
  if (flags.json) io.out(asJson(tariff));
  else io.out(`tariffs: ${created ? 'added' : 'changed'} ${describeTariff(tariff)}`);
  const scope = tariff.appKey === null ? `--business ${tariff.business}` : `--app-key ${tariff.appKey}`;
  io.err(`stored CDRs keep their costs; to re-rate them: callpipe reprocess --from ${validFrom.toISOString()} ${scope}\n`);
  return 0;
}

/** `callpipe tariffs list`. */
export async function tariffsList(
  _command: CommandUnknownOpts,
  flags: { json?: true },
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const config = parseEnv(tariffsEnvSchema, env);
  const tariffs = await withCommandDatabase(config.DATABASE_URL, 'tariffs', (db) => loadTariffs(db));
  for (const tariff of tariffs) io.out(flags.json ? asJson(tariff) : describeTariff(tariff));
  io.err(`${tariffs.length} tariff${tariffs.length === 1 ? '' : 's'}\n`);
  return 0;
}

/** `callpipe rollups rebuild`. */
export async function rollupsRebuild(
  _command: CommandUnknownOpts,
  flags: { json?: true },
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const config = parseEnv(tariffsEnvSchema, env);
  const started = performance.now();
  const result = await withCommandDatabase(config.DATABASE_URL, 'rollups', (db) =>
    db.transaction().execute((trx) => rebuildBillingRollup(trx, config.CALLPIPE_BILLING_TIME_ZONE)),
  );
  const seconds = (performance.now() - started) / 1000;
  if (flags.json) io.out(JSON.stringify({ ...result, timeZone: config.CALLPIPE_BILLING_TIME_ZONE, elapsedSeconds: seconds }));
  else
    io.out(
      `rollups: billing_daily rebuilt in ${config.CALLPIPE_BILLING_TIME_ZONE} from ${result.contributions.toLocaleString('en-US')} calls: ${result.groups.toLocaleString('en-US')} rows from ${result.fromDay ?? '(no calls)'} on; ${seconds.toFixed(1)} s`,
    );
  return 0;
}
