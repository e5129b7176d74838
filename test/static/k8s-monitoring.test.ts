import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  DASHBOARDS_CONFIGMAP_FILE,
  PROMETHEUS_RULE_FILE,
  dashboardsConfigMapYaml,
  prometheusRuleYaml,
  runbookBaseUrlOf,
} from '../support/k8s-generated.ts';
import { REPO_ROOT } from '../support/process.ts';

// Monitoring on a cluster with the Prometheus Operator and Grafana's sidecar (infra/k8s/monitoring),
// and the NetworkPolicy that keeps the admin ports private. The schema checks of these documents
// run with every other manifest in k8s.test.ts; here they are checked against what they serve.

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const one = <T>(file: string) => parseAllDocuments(read(file), { version: '1.1' })[0]!.toJS() as T;
const ingest = one<IStatefulSet>('infra/k8s/ingest-statefulset.yaml');
const worker = one<IDeployment>('infra/k8s/worker-deployment.yaml');
const podMonitor = one<IPodMonitor>('infra/k8s/monitoring/pod-monitor.yaml');
const prometheusRule = one<IPrometheusRule>(PROMETHEUS_RULE_FILE);
const networkPolicy = one<INetworkPolicy>('infra/k8s/network-policy.yaml');
const alertsYaml = read('infra/prometheus/alerts.yml');
const dashboardsDir = join(REPO_ROOT, 'infra/grafana/dashboards');
const dashboards = new Map(
  readdirSync(dashboardsDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => [name, readFileSync(join(dashboardsDir, name), 'utf8')] as const),
);
const pods = [
  { name: 'ingest', template: ingest.spec!.template },
  { name: 'worker', template: worker.spec!.template },
];

/** Does a label selector with matchLabels/matchExpressions (In only, as used here) select these labels? */
function selects(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] },
  labels: Record<string, string>,
) {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every((expression) => {
    if (expression.operator !== 'In') throw new Error(`operator ${expression.operator} not handled by this check`);
    return expression.values!.includes(labels[expression.key]!);
  });
  return byLabels && byExpressions;
}

describe('infra/k8s/monitoring: generated from the files Prometheus and Grafana read elsewhere', () => {
  it('the PrometheusRule is infra/prometheus/alerts.yml, regenerated with the base URL it names', () => {
    const checkedIn = read(PROMETHEUS_RULE_FILE);
    expect(checkedIn, 'run `pnpm k8s:generate`').toBe(prometheusRuleYaml(alertsYaml, runbookBaseUrlOf(checkedIn)));
  });

  it('the dashboards ConfigMap holds every board of infra/grafana/dashboards, byte for byte', () => {
    expect(read(DASHBOARDS_CONFIGMAP_FILE), 'run `pnpm k8s:generate`').toBe(dashboardsConfigMapYaml(dashboards));
    const configMap = one<IConfigMap>(DASHBOARDS_CONFIGMAP_FILE);
    expect(Object.keys(configMap.data!).sort()).toEqual([...dashboards.keys()].sort());
    expect(configMap.metadata!.labels).toMatchObject({ grafana_dashboard: '1' });
  });

  it('keeps every rule and expression of alerts.yml, with runbook links that resolve outside the repository', () => {
    const source = parse(alertsYaml) as { groups: { rules: { alert: string; expr: string; annotations: { runbook_url: string } }[] }[] };
    const rules = prometheusRule.spec.groups!.flatMap((group) => group.rules!);
    expect(rules.map((rule) => [rule.alert, rule.expr])).toEqual(
      source.groups.flatMap((group) => group.rules.map((rule) => [rule.alert, rule.expr])),
    );
    const anchors = new Set(
      [...read('infra/prometheus/RUNBOOK.md').matchAll(/^##+ (.+)$/gm)].map(([, heading]) =>
        heading!
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s/g, '-'),
      ),
    );
    const base = runbookBaseUrlOf(read(PROMETHEUS_RULE_FILE));
    for (const rule of rules) {
      const url = rule.annotations!['runbook_url']!;
      expect(url, rule.alert).toMatch(/^https:\/\//);
      expect(url.startsWith(`${base}#`), rule.alert).toBe(true);
      expect(anchors, rule.alert).toContain(url.slice(base.length + 1));
    }
  });

  it('when the base URL is not https, then the generator refuses it', () => {
    expect(() => prometheusRuleYaml(alertsYaml, 'infra/prometheus/RUNBOOK.md')).toThrow('runbook base URL must be an https URL');
  });

  it('when an alert links a runbook elsewhere, then the generator refuses it', () => {
    const broken = alertsYaml.replace('infra/prometheus/RUNBOOK.md#callpipeingestunavailable', 'docs/RUNBOOK.md#x');
    expect(() => prometheusRuleYaml(broken, 'https://runbooks.invalid/RUNBOOK.md')).toThrow(
      'CallpipeIngestUnavailable: runbook_url docs/RUNBOOK.md#x does not point into infra/prometheus/RUNBOOK.md',
    );
  });
});

describe('infra/k8s/monitoring/pod-monitor.yaml', () => {
  it.each(pods)('scrapes the $name pods on their admin port, at the path their annotations name', ({ template }) => {
    expect(selects(podMonitor.spec.selector, template.metadata!.labels!)).toBe(true);
    const endpoint = podMonitor.spec.podMetricsEndpoints![0]!;
    expect(template.spec!.containers[0]!.ports!.map((port) => port.name)).toContain(endpoint.port);
    expect(endpoint.path).toBe(template.metadata!.annotations!['prometheus.io/path']);
  });

  it('does not scrape the migrate Job', () => {
    const migrate = one<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>('infra/k8s/migrate-job.yaml');
    expect(selects(podMonitor.spec.selector, migrate.spec.template.metadata.labels)).toBe(false);
  });

  it('names the jobs as the alert rules select them', () => {
    const relabel = podMonitor.spec.podMetricsEndpoints![0]!.relabelings![0]!;
    expect(relabel).toMatchObject({ targetLabel: 'job', sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'] });
    const targetDown = /up\{job=~"([^"]+)"\}/.exec(alertsYaml)![1]!;
    for (const { template } of pods) {
      const job = relabel.replacement!.replace('$1', template.metadata!.labels!['app.kubernetes.io/component']!);
      expect(job).toMatch(new RegExp(`^(${targetDown})$`));
    }
  });

  it('is what the KEDA trigger queries: the scaler reads the metric only the PodMonitor collects', () => {
    expect(read('infra/k8s/worker-scaledobject.yaml')).toContain('prometheus-operated.monitoring.svc');
    const kustomization = parse(read('infra/k8s/monitoring/kustomization.yaml')) as { resources: string[] };
    const files = readdirSync(join(REPO_ROOT, 'infra/k8s/monitoring')).filter(
      (name) => name.endsWith('.yaml') && name !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });
});

describe('infra/k8s/network-policy.yaml', () => {
  const rules = networkPolicy.spec!.ingress!;
  const allowedFrom = (port: string) => rules.filter((rule) => rule.ports?.some((candidate) => candidate.port === port));

  it('covers every callpipe pod and restricts their ingress', () => {
    expect(networkPolicy.spec!.policyTypes).toEqual(['Ingress']);
    for (const { template } of pods) expect(selects(networkPolicy.spec!.podSelector!, template.metadata!.labels!)).toBe(true);
    // An ingress rule without ports would open every port, the admin ones included.
    for (const rule of rules) expect(rule.ports?.length).toBeGreaterThan(0);
  });

  it('leaves the push port open to every source', () => {
    expect(allowedFrom('push')).toEqual([{ ports: [{ port: 'push', protocol: 'TCP' }] }]);
  });

  it('opens the admin ports (metrics, Bull Board) only to the monitoring namespace', () => {
    const admin = allowedFrom('admin');
    expect(admin).toHaveLength(1);
    expect(admin[0]!.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    for (const { template } of pods) {
      const adminPort = template.spec!.containers[0]!.ports!.find((port) => port.name === 'admin')!.containerPort;
      expect(Number(template.metadata!.annotations!['prometheus.io/port'])).toBe(adminPort);
    }
  });
});
