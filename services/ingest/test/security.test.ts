import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { signPush, type DigestVariant } from '@callpipe/auth';
import { createPushQueue, createRedisConnection, queuedPushes, queuePrefix } from '@callpipe/queue';
import { ConfigError, createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix, waitFor } from '@callpipe/testkit';
import { createIngestService, parseIngestEnv, type IngestService } from '@callpipe/ingest';

const { redisUrl } = testContext();
const logLines: string[] = [];
const started: IngestService[] = [];
const SIGNED_URL = 'https://push.example.com/voicecall/fee';
const apps = {
  appNewline: { secrets: ['secretNewline0001'], variants: ['url_newline'] },
  appConcat: { secrets: ['secretConcat00001'], variants: ['url_concat'] },
  appRotated: { secrets: ['secretCurrent0001', 'secretPrevious001'], variants: ['nonce_created'] },
};
const body = JSON.stringify({
  eventType: 'callout',
  statusInfo: { sessionId: 'sec-1', timestamp: '2024-06-11 02:30:15', called: '+8613800000001' },
});

async function start(overrides: Record<string, string>): Promise<{ base: string; admin: string; prefix: string }> {
  const prefix = overrides['CALLPIPE_QUEUE_PREFIX'] ?? uniqueQueuePrefix('sec');
  const service = createIngestService(
    parseIngestEnv({
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: prefix,
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: '0',
      INGEST_ADMIN_HOST: '127.0.0.1',
      INGEST_ADMIN_PORT: '0',
      INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'callpipe-sec-spool-')),
      ...overrides,
    }),
    createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
  );
  started.push(service);
  const ports = await service.start();
  return { base: `http://127.0.0.1:${ports.port}`, admin: `http://127.0.0.1:${ports.adminPort}`, prefix };
}

/** A real `callpipe ingest` process: replicas share only Redis. */
async function startProcess(overrides: Record<string, string>): Promise<{ base: string; child: ChildProcess }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    ['--conditions=@callpipe/source', fileURLToPath(new URL('../../callpipe/src/main.ts', import.meta.url)), 'ingest'],
    {
      env: {
        PATH: '',
        REDIS_URL: redisUrl,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(port),
        INGEST_ADMIN_HOST: '127.0.0.1',
        INGEST_ADMIN_PORT: String(adminPort),
        INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'callpipe-sec-spool-')),
        LOG_LEVEL: 'warn',
        ...overrides,
      },
      stdio: 'ignore',
    },
  );
  try {
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
          (response) => response.ok,
          () => false,
        ),
      { timeoutMs: 15_000, intervalMs: 100, what: 'the ingest process to become ready' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { base: `http://127.0.0.1:${port}`, child };
}

/** Below the ephemeral range (32768+), so no outgoing connection grabs it before the child binds it. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createNetServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

const signed = (
  appKey: string,
  secret: string,
  variant: DigestVariant,
  created: Date = new Date(),
  nonce = randomBytes(16).toString('hex').toUpperCase(),
) => signPush({ appKey, secret, variant, url: SIGNED_URL, nonce, created });

async function push(base: string, headers: Record<string, string> = {}, path = '/voicecall/events') {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json;charset=UTF-8', ...headers },
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
}

afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
});

describe('signature verification, enforce', () => {
  const enforce = { INGEST_SIGNATURE_MODE: 'enforce', INGEST_APP_SECRETS: JSON.stringify(apps), INGEST_SIGNATURE_URL: SIGNED_URL };

  it.each([
    ['appNewline', 'secretNewline0001', 'url_newline'],
    ['appConcat', 'secretConcat00001', 'url_concat'],
    ['appRotated', 'secretCurrent0001', 'nonce_created'],
    ['appRotated', 'secretPrevious001', 'nonce_created'],
  ] as const)('when %s signs with its secret and the %s variant, then the push is accepted', async (appKey, secret, variant) => {
    const { base, admin } = await start(enforce);
    const headers = signed(appKey, secret, variant);
    expect((await push(base, { authorization: headers.authorization, 'x-aksk': headers.xAksk })).status).toBe(200);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain(`callpipe_ingest_signature_checks_total{mode="enforce",result="ok",variant="${variant}",service="ingest"} 1`);
  });

  it.each([
    ['a forged digest', () => ({ ...signed('appNewline', 'notTheSecret00000', 'url_newline') }), 'bad_signature'],
    ['the wrong variant', () => signed('appNewline', 'secretNewline0001', 'url_concat'), 'bad_signature'],
    ['an unknown app key', () => signed('appUnknown', 'secretNewline0001', 'url_newline'), 'unknown_app_key'],
    [
      'a Created an hour old',
      () => signed('appNewline', 'secretNewline0001', 'url_newline', new Date(Date.now() - 3_600_000)),
      'stale_created',
    ],
    [
      'a Created an hour ahead',
      () => signed('appNewline', 'secretNewline0001', 'url_newline', new Date(Date.now() + 3_600_000)),
      'future_created',
    ],
    ['no signature at all', () => ({ authorization: '', xAksk: '' }), 'missing_signature'],
    [
      'a garbled X-AKSK',
      () => ({ authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"', xAksk: 'UsernameToken Username=appNewline' }),
      'malformed_signature',
    ],
  ])('when the push carries %s, then it gets 401 with that code and the body is kept', async (_name, headers, code) => {
    const { base, prefix } = await start(enforce);
    const { authorization, xAksk } = headers();
    const response = await push(base, { ...(authorization ? { authorization } : {}), ...(xAksk ? { 'x-aksk': xAksk } : {}) });
    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe(code);
    const connection = createRedisConnection(redisUrl, 'worker');
    const queue = createPushQueue(connection, queuePrefix(prefix));
    const [job] = await queuedPushes(queue);
    expect(job?.name).toBe('rejected');
    expect(job?.data.rejection?.code).toBe(code);
    expect(job?.data.body).toBe(body);
    await queue.close();
    await connection.quit();
  });

  it('when Created is Beijing time written with a Z, then it passes only with the utc_or_beijing tolerance', async () => {
    const beijing = new Date(Date.now() + 8 * 3_600_000);
    const tolerant = await start(enforce);
    const strict = await start({ ...enforce, INGEST_SIGNATURE_CREATED_ZONES: 'utc' });
    const first = signed('appNewline', 'secretNewline0001', 'url_newline', beijing);
    expect((await push(tolerant.base, { authorization: first.authorization, 'x-aksk': first.xAksk })).status).toBe(200);
    const second = signed('appNewline', 'secretNewline0001', 'url_newline', beijing);
    expect((await push(strict.base, { authorization: second.authorization, 'x-aksk': second.xAksk })).body.error?.code).toBe(
      'future_created',
    );
  });

  it('when the same nonce is replayed to another ingest process, then the replay gets 401 replayed_nonce', async () => {
    const prefix = uniqueQueuePrefix('replay');
    const processes = await Promise.all([0, 1].map(() => startProcess({ ...enforce, CALLPIPE_QUEUE_PREFIX: prefix })));
    try {
      const headers = signed('appNewline', 'secretNewline0001', 'url_newline');
      expect((await push(processes[0]!.base, { authorization: headers.authorization, 'x-aksk': headers.xAksk })).status).toBe(200);
      const replay = await push(processes[1]!.base, { authorization: headers.authorization, 'x-aksk': headers.xAksk });
      expect(replay.status).toBe(401);
      expect(replay.body.error?.code).toBe('replayed_nonce');
    } finally {
      for (const { child } of processes) child.kill('SIGTERM');
    }
  });
});

describe('signature verification, log mode', () => {
  it('when pushes are forged or valid, then all are accepted and the metrics say which variant matched', async () => {
    const { base, admin } = await start({
      INGEST_SIGNATURE_MODE: 'log',
      INGEST_APP_SECRETS: JSON.stringify(apps),
      INGEST_SIGNATURE_URL: SIGNED_URL,
    });
    const valid = signed('appConcat', 'secretConcat00001', 'url_concat');
    const forged = signed('appConcat', 'wrongSecret000000', 'url_concat');
    expect((await push(base, { authorization: valid.authorization, 'x-aksk': valid.xAksk })).status).toBe(200);
    expect((await push(base, { authorization: forged.authorization, 'x-aksk': forged.xAksk })).status).toBe(200);
    expect((await push(base)).status).toBe(200);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain('callpipe_ingest_signature_checks_total{mode="log",result="ok",variant="url_concat",service="ingest"} 1');
    expect(metrics).toContain(
      'callpipe_ingest_signature_checks_total{mode="log",result="bad_signature",variant="none",service="ingest"} 1',
    );
    expect(metrics).toContain(
      'callpipe_ingest_signature_checks_total{mode="log",result="missing_signature",variant="none",service="ingest"} 1',
    );
    expect(logLines.some((line) => line.includes('"push signature verified"') && line.includes('"variant":"url_concat"'))).toBe(true);
  });
});

describe('source allowlist behind a trusted proxy', () => {
  const allow = { INGEST_ALLOWED_SOURCES: '203.0.113.0/24, 2001:db8::/32', INGEST_TRUSTED_PROXIES: '127.0.0.1/32' };

  it.each([
    ['a listed client behind the proxy', '203.0.113.9', 200],
    ['a listed IPv6 client behind the proxy', '2001:db8::7', 200],
    ['an unlisted client behind the proxy', '198.51.100.1', 403],
    ['a client spoofing a listed address in front of its own', '203.0.113.9, 198.51.100.1', 403],
    ['a chain through a second trusted proxy', '203.0.113.9, 127.0.0.1', 200],
  ])('when %s pushes, then it gets %s', async (_name, forwardedFor, status) => {
    const { base } = await start(allow);
    const response = await push(base, { 'x-forwarded-for': forwardedFor });
    expect(response.status).toBe(status);
    if (status === 403) expect(response.body.error?.code).toBe('source_not_allowed');
  });

  it('when the peer is not a trusted proxy, then X-Forwarded-For is ignored', async () => {
    const { base } = await start({ INGEST_ALLOWED_SOURCES: '203.0.113.0/24' });
    expect((await push(base, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
  });
});

describe('secret path segment', () => {
  it('when a path secret is set, then only the secret routes take pushes', async () => {
    const { base } = await start({ INGEST_PATH_SECRET: 'k9x2mQ7' });
    expect((await push(base, {}, '/k9x2mQ7/voicecall/fee')).status).toBe(200);
    const bare = await fetch(`${base}/voicecall/fee`, { method: 'POST', body });
    expect(bare.status).toBe(404);
    expect(await bare.text()).not.toContain('k9x2mQ7');
  });
});

describe('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callpipe-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  );
  const tlsEnv = { INGEST_TLS_CERT_FILE: join(dir, 'cert.pem'), INGEST_TLS_KEY_FILE: join(dir, 'key.pem') };

  it('when a client offers one of the documented suites, then the handshake uses it and a push over HTTPS is acked', async () => {
    const { base } = await start(tlsEnv);
    const port = Number(new URL(base).port);
    const cipher = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', rejectUnauthorized: false },
        () => {
          resolve(socket.getCipher().name);
          socket.end();
        },
      );
      socket.on('error', reject);
    });
    expect(cipher).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpsRequest(
        { host: '127.0.0.1', port, path: '/voicecall/events', method: 'POST', rejectUnauthorized: false },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    expect(status).toBe(200);
  });

  it('when a client offers only a suite outside the list, then the handshake fails', async () => {
    const { base } = await start(tlsEnv);
    const port = Number(new URL(base).port);
    await expect(
      new Promise((resolve, reject) => {
        const socket = tlsConnect(
          { host: '127.0.0.1', port, ciphers: 'AES128-SHA', maxVersion: 'TLSv1.2', rejectUnauthorized: false },
          () => resolve(socket.getCipher().name),
        );
        socket.on('error', reject);
      }),
    ).rejects.toThrow();
  });
});

describe('configuration', () => {
  it.each([
    [{ INGEST_SIGNATURE_MODE: 'enforce' }, 'needs at least one app'],
    [{ INGEST_APP_SECRETS: '{not json' }, 'INGEST_APP_SECRETS is not valid JSON'],
    [{ INGEST_APP_SECRETS: JSON.stringify({ a: { secrets: [], variants: ['url_newline'] } }) }, 'app secrets: a.secrets'],
    [{ INGEST_APP_SECRETS_FILE: '/nonexistent/secrets.json' }, 'cannot be read: ENOENT'],
    [{ INGEST_ALLOWED_SOURCES: '10.0.0.0/40' }, 'invalid prefix length'],
    [{ INGEST_TRUSTED_PROXIES: 'proxy.local' }, 'not an IP address'],
    [{ INGEST_TLS_CERT_FILE: '/tmp/cert.pem' }, 'set both INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE'],
  ])('when given %j, then it refuses to start with a message naming the problem', (env, message) => {
    expect(() => parseIngestEnv(env)).toThrow(ConfigError);
    expect(() => parseIngestEnv(env)).toThrow(message);
  });

  it('when secrets are configured, then no secret and no phone number appears in any log line', () => {
    const output = logLines.join('');
    for (const app of Object.values(apps)) for (const secret of app.secrets) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/\+86\d{7,}/);
  });
});
