import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { digestVariants, type AppCredentials } from '@callpipe/auth';
import { errorCode } from './errors.ts';

const appsSchema = z.record(
  z.string().min(1).max(128),
  z.object({
    /** Current secret first; older ones keep working during a rotation. */
    secrets: z.array(z.string().min(1)).min(1),
    variants: z.array(z.enum(digestVariants)).min(1).default(['url_newline']),
    /** The push URL as configured at Huawei (signed as text); defaults to INGEST_SIGNATURE_URL. */
    url: z.url().optional(),
  }),
);

/**
 * The variables that configure the apps, read by every service that needs an app's secret: the
 * ingest to verify pushes, the worker to sign calls to the platform's API. One place per app.
 */
export const appSecretsEnvShape = {
  INGEST_APP_SECRETS: z.string().default(''),
  INGEST_APP_SECRETS_FILE: z.string().default(''),
};

export type AppSecrets = ReadonlyMap<string, AppCredentials & { url?: string }>;

/**
 * Per-app secrets from INGEST_APP_SECRETS (JSON) and/or INGEST_APP_SECRETS_FILE (the same JSON in
 * a file, e.g. a mounted Kubernetes Secret). Errors never echo secret values.
 */
export function loadAppSecrets(inline: string, file: string): AppSecrets {
  const merged: Record<string, unknown> = {};
  for (const [label, text] of [
    ['INGEST_APP_SECRETS_FILE', file ? readSecretsFile(file) : ''],
    ['INGEST_APP_SECRETS', inline],
  ] as const) {
    if (!text.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${label} is not valid JSON (expected {"<appKey>": {"secrets": ["…"], "variants": ["url_newline"]}})`);
    }
    Object.assign(merged, parsed);
  }
  const result = appsSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`app secrets: ${issue.path.join('.')}: ${issue.message}`);
  }
  return new Map(
    Object.entries(result.data).map(([appKey, app]) => [
      appKey,
      { secrets: app.secrets, variants: app.variants, ...(app.url ? { url: app.url } : {}) },
    ]),
  );
}

function readSecretsFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`INGEST_APP_SECRETS_FILE ${path} cannot be read: ${errorCode(error) ?? 'error'}`);
  }
}
