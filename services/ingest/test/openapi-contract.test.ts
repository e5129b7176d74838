import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceBodyBytes, conformanceCorpus } from '@callpipe/fixtures';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix } from '@callpipe/testkit';
import { createIngestService, openApiDocument, parseIngestEnv, pushErrorCodes, type IngestService } from '@callpipe/ingest';

// The API contract (infra/openapi/openapi.json) against what the ingest really does: the checked-in
// file is the generated one, every sample push and every attributable body of the conformance
// corpus is a valid request, every refused one is not, and every error the running ingest answers
// has the body its status is documented with.

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SAMPLES_DIR = join(REPO_ROOT, '../shared/domain/samples');
const document = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>>;
  components: { schemas: Record<string, object> };
};

const ajv = new Ajv2020({ strict: true, allErrors: true, strictTypes: false });
// The components live under an OpenAPI keyword, not $defs: ajv resolves the $refs into it all the same.
ajv.addKeyword('components');
ajv.addSchema({ $id: 'openapi.json', components: document.components }, 'openapi.json');
const validator = (ref: string): ValidateFunction => ajv.compile({ $ref: `openapi.json${ref}` });
const pushBody = validator('#/components/schemas/PushBody');
const responseOf = (status: number): ValidateFunction => {
  const schema = document.paths['/voicecall/events']!['post']!.responses[String(status)]!.content!['application/json']!.schema;
  return validator(schema.$ref);
};
const errorsOf = (validate: ValidateFunction) => ajv.errorsText(validate.errors);

const { redisUrl } = testContext();
const started: IngestService[] = [];
const prefixes: string[] = [];
async function startIngest(overrides: Record<string, string>) {
  const prefix = uniqueQueuePrefix('contract');
  prefixes.push(prefix);
  const service = createIngestService(
    parseIngestEnv({
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: prefix,
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: '0',
      INGEST_ADMIN_HOST: '127.0.0.1',
      INGEST_ADMIN_PORT: '0',
      INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'callpipe-contract-spool-')),
      ...overrides,
    }),
    createLogger({ level: 'silent' }),
  );
  started.push(service);
  const ports = await service.start();
  return { base: `http://127.0.0.1:${ports.port}`, admin: `http://127.0.0.1:${ports.adminPort}` };
}
afterAll(async () => {
  for (const service of started) await service.stop();
  const redis = createRedisConnection(redisUrl, 'worker');
  for (const prefix of prefixes) {
    const queue = createPushQueue(redis, queuePrefix(prefix));
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.quit();
});

/** Sends one request and checks the answer against the response documented for its status. */
async function expectDocumented(response: Response, status: number, code?: string): Promise<void> {
  const body = (await response.json()) as { error?: { code: string } };
  expect(response.status, JSON.stringify(body)).toBe(status);
  const validate = responseOf(status);
  expect(validate(body), errorsOf(validate)).toBe(true);
  if (code) expect(body.error?.code).toBe(code);
}

describe('infra/openapi/openapi.json', () => {
  it('is the document generated from the zod schemas (run `pnpm openapi:generate` after changing them)', () => {
    expect(readFileSync(join(REPO_ROOT, 'infra/openapi/openapi.json'), 'utf8')).toBe(`${JSON.stringify(document, null, 2)}\n`);
  });

  it('is OpenAPI 3.1 whose every schema compiles as JSON Schema 2020-12', () => {
    expect((document as unknown as { openapi: string }).openapi).toMatch(/^3\.1\./);
    for (const name of Object.keys(document.components.schemas))
      expect(() => validator(`#/components/schemas/${name}`), name).not.toThrow();
  });

  it('documents every status and error code the push routes answer', () => {
    const responses = document.paths['/voicecall/events']!['post']!.responses;
    expect(Object.keys(responses).sort()).toEqual(['200', ...Object.keys(pushErrorCodes)].sort());
    for (const route of ['/voicecall/status', '/voicecall/fee']) expect(document.paths[route]!['post']!.responses).toEqual(responses);
  });

  it('describes the admin endpoints', () => {
    expect(Object.keys(document.paths).filter((path) => !path.startsWith('/voicecall'))).toEqual([
      '/healthz',
      '/readyz',
      '/metrics',
      '/openapi.json',
    ]);
  });
});

describe('request bodies against the contract', () => {
  it('accepts every sample push of shared/domain/samples', () => {
    expect(existsSync(SAMPLES_DIR), SAMPLES_DIR).toBe(true);
    const samples = readdirSync(SAMPLES_DIR).filter((name) => name.endsWith('.json'));
    expect(samples.length).toBeGreaterThan(10);
    for (const name of samples) {
      const sample = JSON.parse(readFileSync(join(SAMPLES_DIR, name), 'utf8')) as unknown;
      expect(pushBody(sample), `${name}: ${errorsOf(pushBody)}`).toBe(true);
    }
  });

  const parsed = conformanceCorpus.flatMap((entry) => {
    try {
      return [{ entry, body: JSON.parse(conformanceBodyBytes(entry).toString('utf8')) as unknown }];
    } catch {
      return [];
    }
  });

  it('accepts every attributable body of the conformance corpus', () => {
    const accepted = parsed.filter(({ entry }) => !('rejected' in entry.expected));
    expect(accepted.length).toBeGreaterThan(20);
    const misfits = accepted.flatMap(({ entry, body }) => (pushBody(body) ? [] : [`${entry.name}: ${errorsOf(pushBody)}`]));
    expect(misfits).toEqual([]);
  });

  it('refuses every body of the conformance corpus the ingest refuses', () => {
    const refused = parsed.filter(({ entry }) => 'rejected' in entry.expected);
    expect(refused.length).toBeGreaterThan(3);
    expect(refused.filter(({ body }) => pushBody(body)).map(({ entry }) => entry.name)).toEqual([]);
  });
});

describe('answers of the running ingest against the contract', () => {
  it('when a push is stored, then the 200 body is the documented success', async () => {
    const { base } = await startIngest({});
    const sample = readFileSync(join(SAMPLES_DIR, 'click2call-callout.json'));
    const response = await fetch(`${base}/voicecall/events`, { method: 'POST', body: sample });
    await expectDocumented(response, 200);
  });

  it('when a body belongs to no call, then each refusal is a documented 400 with its code', async () => {
    const { base } = await startIngest({});
    const refused = conformanceCorpus.filter((entry) => 'rejected' in entry.expected);
    const codes = new Set<string>();
    for (const entry of refused) {
      const response = await fetch(`${base}/voicecall/fee`, { method: 'POST', body: conformanceBodyBytes(entry) });
      const expected = (entry.expected as { rejected: string }).rejected;
      await expectDocumented(response, 400, expected);
      codes.add(expected);
    }
    for (const [status, body] of [
      [400, ''],
      [400, '{"eventType":'],
    ] as const)
      await expectDocumented(await fetch(`${base}/voicecall/events`, { method: 'POST', body }), status);
    expect(codes.size).toBeGreaterThan(3);
  });

  it('when the path, method or size is wrong, then 404, 405 and 413 are documented', async () => {
    const { base } = await startIngest({ INGEST_BODY_LIMIT_BYTES: '1024' });
    await expectDocumented(await fetch(`${base}/nowhere`, { method: 'POST', body: '{}' }), 404, 'not_found');
    await expectDocumented(await fetch(`${base}/voicecall/events`), 405, 'method_not_allowed');
    await expectDocumented(await fetch(`${base}/voicecall/events`, { method: 'POST', body: 'x'.repeat(4096) }), 413, 'body_too_large');
  });

  it('when the source or the signature is refused, then 403 and 401 are documented', async () => {
    const blocked = await startIngest({ INGEST_ALLOWED_SOURCES: '192.0.2.0/24' });
    await expectDocumented(await fetch(`${blocked.base}/voicecall/events`, { method: 'POST', body: '{}' }), 403, 'source_not_allowed');
    const signed = await startIngest({
      INGEST_SIGNATURE_MODE: 'enforce',
      INGEST_APP_SECRETS: JSON.stringify({ app: { secrets: ['contract-secret-1'], variants: ['url_newline'] } }),
      INGEST_SIGNATURE_URL: 'https://push.example.com/voicecall/events',
    });
    const sample = readFileSync(join(SAMPLES_DIR, 'click2call-callout.json'));
    await expectDocumented(await fetch(`${signed.base}/voicecall/events`, { method: 'POST', body: sample }), 401, 'missing_signature');
  });

  it('when neither Redis nor the spool can take a push, then the 503 is documented', async () => {
    const { base } = await startIngest({
      REDIS_URL: 'redis://127.0.0.1:1',
      INGEST_ENQUEUE_TIMEOUT_MS: '300',
      INGEST_SPOOL_MAX_BYTES: '1024',
    });
    const large = JSON.stringify({ eventType: 'callout', statusInfo: { sessionId: 'contract-503', padding: 'x'.repeat(2_000) } });
    await expectDocumented(await fetch(`${base}/voicecall/events`, { method: 'POST', body: large }), 503, 'queue_unavailable');
  });

  it('when the admin port is asked for /openapi.json, then it serves the checked-in contract', async () => {
    const { admin } = await startIngest({});
    const response = await fetch(`${admin}/openapi.json`);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, 'infra/openapi/openapi.json'), 'utf8')));
    const health = await (await fetch(`${admin}/healthz`)).json();
    const validate = validator('#/components/schemas/Health');
    expect(validate(health), errorsOf(validate)).toBe(true);
    const ready = await (await fetch(`${admin}/readyz`)).json();
    const validateReady = validator('#/components/schemas/Readiness');
    expect(validateReady(ready), errorsOf(validateReady)).toBe(true);
  });
});
