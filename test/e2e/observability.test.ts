import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { createDatabase, type Database } from '@callpipe/db';
import { demoAppKeys } from '@callpipe/fixtures';
import { buildTraffic, drive } from '@callpipe/simulator';
import { databaseUrlFor, dropDatabase, startFakeVoiceCallApi, uniqueQueuePrefix, waitFor, type FakeVoiceCallApi } from '@callpipe/testkit';
import { sql, type Kysely } from 'kysely';
import { freePort, REPO_ROOT, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';
import { expandGrafanaVariables, expandSqlMacros, withBoolComparisons } from '../support/promql.ts';

// The provisioned observability, checked for real: promtool validates and unit-tests the rules, a
// real Prometheus scrapes a running pipeline under load, and every PromQL expression of the
// dashboards and the alert rules must run and return data, and the Calls board's summarising SQL
// must find the generated traffic (calls-dashboard.test.ts checks each SQL panel's exact values).
const serverUrl = inject('databaseServerUrl');
const redisUrl = inject('redisUrl');
const PROMETHEUS_DIR = join(REPO_ROOT, 'infra/prometheus');
const DASHBOARDS = join(REPO_ROOT, 'infra/grafana/dashboards');
const databaseName = `callpipe_obs_${Date.now()}`;
const missing = ['prometheus', 'promtool'].filter((binary) => spawnSync('which', [binary]).status !== 0);
if (missing.length > 0)
  throw new Error(`${missing.join(' and ')} not found: apt-get install prometheus (infra/local/ensure-services.sh does)`);

let pipeline: CallpipeProcess;
let prometheus: ChildProcess;
// Recordings on, against a local fake of the platform's API, so the recording metrics and alert are live too.
let platform: FakeVoiceCallApi;
const appSecrets = Object.fromEntries(Object.values(demoAppKeys).map((appKey, index) => [appKey, `observabilitySecret000${index}`]));
let prometheusUrl: string;
let db: Kysely<Database>;

interface Panel {
  title: string;
  targets?: Array<{ expr?: string; rawSql?: string }>;
}
const dashboard = (name: string) =>
  JSON.parse(readFileSync(join(DASHBOARDS, name), 'utf8')) as {
    panels: Panel[];
    templating?: { list: Array<{ name: string; type: string; query?: string }> };
  };
const alertRules = (
  parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
).groups.flatMap((group) => group.rules);

async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

beforeAll(async () => {
  const [ingestPort, ingestAdmin, workerAdmin, prometheusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  platform = await startFakeVoiceCallApi({ apps: appSecrets });
  pipeline = runCallpipe(['start'], {
    CALLPIPE_RECORDINGS: 'on',
    CALLPIPE_HUAWEI_API_URL: platform.url,
    CALLPIPE_RECORDINGS_URL: pathToFileURL(mkdtempSync(join(tmpdir(), 'callpipe-obs-recordings-'))).href,
    INGEST_APP_SECRETS: JSON.stringify(
      Object.fromEntries(Object.entries(appSecrets).map(([appKey, secret]) => [appKey, { secrets: [secret] }])),
    ),
    DATABASE_URL: databaseUrlFor(serverUrl, databaseName),
    REDIS_URL: redisUrl,
    CALLPIPE_QUEUE_PREFIX: uniqueQueuePrefix('obs'),
    CALLPIPE_APP_BUSINESS: Object.entries(demoAppKeys)
      .map(([business, key]) => `${key}=${business}`)
      .join(','),
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: String(ingestPort),
    INGEST_ADMIN_HOST: '127.0.0.1',
    INGEST_ADMIN_PORT: String(ingestAdmin),
    WORKER_ADMIN_HOST: '127.0.0.1',
    WORKER_ADMIN_PORT: String(workerAdmin),
    INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'callpipe-obs-spool-')),
    LOG_LEVEL: 'warn',
  });
  await Promise.all([waitForHttp(`http://127.0.0.1:${ingestAdmin}/readyz`), waitForHttp(`http://127.0.0.1:${workerAdmin}/readyz`)]);
  db = createDatabase({ connectionString: databaseUrlFor(serverUrl, databaseName), poolSize: 2 });

  // The shipped scrape config, pointed at this pipeline's admin ports and scraping every second.
  const dir = mkdtempSync(join(tmpdir(), 'callpipe-prometheus-'));
  const config = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as Record<string, unknown> & {
    global?: Record<string, unknown>;
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
  config['rule_files'] = [join(PROMETHEUS_DIR, 'alerts.yml')];
  const targets: Record<string, string> = { 'callpipe-ingest': `127.0.0.1:${ingestAdmin}`, 'callpipe-worker': `127.0.0.1:${workerAdmin}` };
  config.scrape_configs = config.scrape_configs
    .filter((scrape) => targets[scrape.job_name])
    .map((scrape) => ({ ...scrape, static_configs: [{ targets: [targets[scrape.job_name]!] }] }));
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ],
    { stdio: 'ignore' },
  );
  await waitForHttp(`${prometheusUrl}/-/ready`);

  // Load: realistic traffic, a few bad pushes, then time for a few scrapes.
  const base = `http://127.0.0.1:${ingestPort}`;
  const sent = await drive(base, buildTraffic(17, 300, { maxCdrsPerPush: 3 }), { ratePerSecond: 250, concurrency: 8 });
  const acked = sent.filter((push) => push.outcome === 'acked').length;
  for (const body of ['{"eventType":', '{"eventType":"fee","feeLst":[]}'])
    await fetch(`${base}/voicecall/events`, { method: 'POST', body });
  // Until the worker has stored every acked push, and Prometheus has scraped both services twice
  // since (rates need two samples that saw it) and evaluated every rule after that.
  await waitFor(async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM push_deliveries`.execute(db)).rows[0]!.n) >= acked, {
    timeoutMs: 30_000,
    what: 'every acked push stored',
  });
  const loadEndedAt = Date.now() / 1000;
  await waitFor(
    async () => {
      const scrapes = await query('min(timestamp(up{job=~"callpipe-ingest|callpipe-worker"})) and on() count(up == 1) == 2');
      const lastScrape = Number((scrapes.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
      const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ lastEvaluation: string }> }> };
      };
      const evaluated = rules.data.groups
        .flatMap((group) => group.rules)
        .every((rule) => Date.parse(rule.lastEvaluation) / 1000 > loadEndedAt + 2);
      return lastScrape > loadEndedAt + 2 && evaluated;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'two scrapes and a rule evaluation after the load' },
  );
}, 120_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await pipeline?.stop('SIGTERM');
  await platform?.close();
  await db?.destroy();
  await dropDatabase(serverUrl, databaseName);
});

describe('promtool', () => {
  it.each([
    ['check config', ['check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml')]],
    ['check rules', ['check', 'rules', join(PROMETHEUS_DIR, 'alerts.yml')]],
    ['test rules', ['test', 'rules', join(PROMETHEUS_DIR, 'alerts.test.yml')]],
  ])('promtool %s passes', (_name, args) => {
    const result = spawnSync('promtool', args, { encoding: 'utf8', cwd: PROMETHEUS_DIR });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});

describe('every PromQL expression against a live Prometheus scraping the pipeline', () => {
  const dashboardExprs = ['pipeline.json', 'calls.json'].flatMap((file) =>
    dashboard(file).panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) => (target.expr ? [[`${file} / ${panel.title}`, target.expr] as const] : [])),
    ),
  );

  it('the dashboards hold PromQL to check', () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
  });

  it.each(dashboardExprs)('dashboard panel %s parses and returns data', async (_panel, expr) => {
    const result = await query(expandGrafanaVariables(expr));
    expect(result.status, result.error).toBe('success');
    expect(result.data?.result.length, expr).toBeGreaterThan(0);
  });

  it.each(alertRules.map((rule) => [rule.alert, rule.expr] as const))(
    'alert %s parses and, compared with bool, returns data',
    async (_alert, expr) => {
      const result = await query(withBoolComparisons(expr));
      expect(result.status, result.error).toBe('success');
      expect(result.data?.result.length, withBoolComparisons(expr)).toBeGreaterThan(0);
    },
  );

  it('Prometheus loaded every rule and found no rule evaluation errors', async () => {
    const response = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const rules = response.data.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.name).sort()).toEqual(alertRules.map((rule) => rule.alert).sort());
    expect(rules.filter((rule) => rule.health === 'err')).toEqual([]);
  });
});

describe('every SQL query of the Calls board against the migrated schema with data', () => {
  const callsBoard = dashboard('calls.json');
  // The board's constants (billing_tz) as Grafana substitutes them; multi-value variables stay at All.
  const constants = Object.fromEntries(
    (callsBoard.templating?.list ?? [])
      .filter((variable) => variable.type === 'constant')
      .map((variable) => [variable.name, variable.query ?? '']),
  );
  const sqlPanels = callsBoard.panels.flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => (target.rawSql ? [[panel.title, target.rawSql] as const] : [])),
  );

  it('the Calls board holds SQL to check', () => {
    expect(sqlPanels.length).toBeGreaterThan(5);
  });

  it('the panels that summarise calls return rows for the generated traffic', async () => {
    const from = new Date(Date.UTC(2024, 5, 10));
    const to = new Date(Date.now() + 60_000);
    const summarising = sqlPanels.filter(([title]) => /per minute|answer rate|billable|failure|ring and talk/i.test(title));
    expect(summarising.length).toBeGreaterThan(2);
    for (const [title, rawSql] of summarising) {
      const result = await sql.raw(expandSqlMacros(rawSql, from, to, constants)).execute(db);
      expect(result.rows.length, title).toBeGreaterThan(0);
    }
  });
});
