import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DASHBOARDS_CONFIGMAP_FILE,
  DEFAULT_RUNBOOK_BASE_URL,
  PROMETHEUS_RULE_FILE,
  dashboardsConfigMapYaml,
  prometheusRuleYaml,
  runbookBaseUrlOf,
} from '../support/k8s-generated.ts';

// `pnpm k8s:generate [--runbook-base-url https://…/RUNBOOK.md]`: writes the PrometheusRule and the
// dashboards ConfigMap of infra/k8s/monitoring. Without the option the base URL stays the one the
// file was generated with.
const root = new URL('../..', import.meta.url).pathname;
const { values } = parseArgs({ options: { 'runbook-base-url': { type: 'string' } } });
const ruleFile = join(root, PROMETHEUS_RULE_FILE);
const base =
  values['runbook-base-url'] ?? (existsSync(ruleFile) ? runbookBaseUrlOf(readFileSync(ruleFile, 'utf8')) : DEFAULT_RUNBOOK_BASE_URL);
writeFileSync(ruleFile, prometheusRuleYaml(readFileSync(join(root, 'infra/prometheus/alerts.yml'), 'utf8'), base));
const dashboardsDir = join(root, 'infra/grafana/dashboards');
const dashboards = new Map(
  readdirSync(dashboardsDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => [name, readFileSync(join(dashboardsDir, name), 'utf8')] as const),
);
writeFileSync(join(root, DASHBOARDS_CONFIGMAP_FILE), dashboardsConfigMapYaml(dashboards));
process.stderr.write(
  `wrote ${PROMETHEUS_RULE_FILE} (runbooks at ${base}) and ${DASHBOARDS_CONFIGMAP_FILE} (${dashboards.size} dashboards)\n`,
);
