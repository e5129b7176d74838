import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@callpipe/runtime';
import { parseWorkerEnv } from '../env.ts';

const on = {
  CALLPIPE_RECORDINGS: 'on',
  CALLPIPE_HUAWEI_API_URL: 'https://rtcapi.example.com:12543',
  CALLPIPE_RECORDINGS_URL: 'file:///var/lib/callpipe/recordings',
  INGEST_APP_SECRETS: '{"appA": {"secrets": ["s1"]}}',
};

describe('recordings configuration', () => {
  it('when nothing is set, then recordings are off and no secrets are read', () => {
    const env = parseWorkerEnv({ INGEST_APP_SECRETS: 'not json' });
    expect(env).toMatchObject({ CALLPIPE_RECORDINGS: 'off', CALLPIPE_RECORDINGS_API_PATH: '/rest/provision/voice/record/v1.0' });
    expect(env.appSecrets.size).toBe(0);
  });

  it('when on with everything, then the apps are the ingest’s INGEST_APP_SECRETS', () => {
    const env = parseWorkerEnv(on);
    expect(env.appSecrets.get('appA')?.secrets).toEqual(['s1']);
    expect(env.CALLPIPE_RECORDINGS_CONCURRENCY).toBe(4);
  });

  it('when on with the secrets in a file, then INGEST_APP_SECRETS_FILE is read as by the ingest', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callpipe-secrets-')), 'apps.json');
    writeFileSync(file, '{"appB": {"secrets": ["s2", "s1"]}}');
    const env = parseWorkerEnv({ ...on, INGEST_APP_SECRETS: '', INGEST_APP_SECRETS_FILE: file });
    expect(env.appSecrets.get('appB')?.secrets).toEqual(['s2', 's1']);
  });

  it.each([
    [{ CALLPIPE_HUAWEI_API_URL: '' }, "CALLPIPE_HUAWEI_API_URL: CALLPIPE_RECORDINGS=on needs the platform's app access address"],
    [{ CALLPIPE_HUAWEI_API_URL: 'ftp://x' }, 'CALLPIPE_HUAWEI_API_URL'],
    [{ CALLPIPE_RECORDINGS_URL: '' }, 'CALLPIPE_RECORDINGS_URL: CALLPIPE_RECORDINGS=on needs a store'],
    [{ CALLPIPE_RECORDINGS_URL: '/var/lib/recordings' }, 'CALLPIPE_RECORDINGS_URL: must be file:///path or s3://bucket/prefix'],
    [{ CALLPIPE_RECORDINGS: 'yes' }, 'CALLPIPE_RECORDINGS'],
    [{ CALLPIPE_RECORDINGS_API_PATH: 'rest/x' }, 'CALLPIPE_RECORDINGS_API_PATH: must be a path starting with /'],
    [{ CALLPIPE_RECORDINGS_CONCURRENCY: '0' }, 'CALLPIPE_RECORDINGS_CONCURRENCY'],
    [
      { CALLPIPE_RECORDINGS_RETRY_BASE_MS: '5000', CALLPIPE_RECORDINGS_RETRY_MAX_MS: '1000' },
      'must not exceed CALLPIPE_RECORDINGS_RETRY_MAX_MS',
    ],
    [{ INGEST_APP_SECRETS: '' }, 'INGEST_APP_SECRETS: CALLPIPE_RECORDINGS=on needs the apps'],
    [{ INGEST_APP_SECRETS: '{"appA": {"secrets": []}}' }, 'app secrets: appA.secrets'],
    [
      { INGEST_APP_SECRETS: '', INGEST_APP_SECRETS_FILE: '/nonexistent/apps.json' },
      'INGEST_APP_SECRETS_FILE /nonexistent/apps.json cannot be read: ENOENT',
    ],
  ])('when on with %j, then it refuses with a message naming the variable', (overrides, message) => {
    expect(() => parseWorkerEnv({ ...on, ...overrides })).toThrow(ConfigError);
    expect(() => parseWorkerEnv({ ...on, ...overrides })).toThrow(message);
  });
});
