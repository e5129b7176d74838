import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScaledObject, type IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ingestEnvSchema, parseIngestEnv } from '@callpipe/ingest';
import { parseWorkerEnv, workerEnvSchema } from '@callpipe/worker';
import { migrateEnvSchema } from '@callpipe/cli/env';
import { REPO_ROOT } from '../support/process.ts';
import { coerceError } from '@callpipe/runtime';
import { typecheckInMemory } from '../support/typecheck-in-memory.ts';

// Static checks of infra/k8s, since no cluster runs where CI does. Two layers validate every
// document against the Kubernetes (and KEDA CRD) schemas that kubernetes-models generates from the
// OpenAPI specs: its JSON-schema validators (types, formats, enums, required fields), and
// TypeScript's excess-property check against its generated interfaces, which catches what JSON
// schema lets through and `kubectl apply` (strict field validation) refuses — unknown or
// misindented fields. Then the manifests are cross-checked against the code they run.

const K8S_DIR = join(REPO_ROOT, 'infra/k8s');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}
interface Loaded {
  file: string;
  doc: Manifest;
}

/** kubectl reads YAML 1.1 (sigs.k8s.io/yaml): `off`, `yes`, `on` are booleans there, so parse the same way. */
function parseManifests(text: string, file: string): Manifest[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
      return document.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => relative(K8S_DIR, join(entry.parentPath, entry.name)))
    .sort();
}

const files = yamlFiles(K8S_DIR);
const kustomization = parseManifests(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml')[0] as unknown as {
  resources: string[];
  images: Array<{ name: string; newName?: string; newTag?: string }>;
  [key: string]: unknown;
};
const manifests: Loaded[] = files
  .filter((file) => !file.endsWith('kustomization.yaml'))
  .flatMap((file) => parseManifests(readFileSync(join(K8S_DIR, file), 'utf8'), file).map((doc) => ({ file, doc })));

// The kinds callpipe deploys, each with its generated model (JSON-schema validator) and the module
// of its generated interface (for the TypeScript check). A new kind has to be added here.
const models: Record<string, { model: new (data: never) => { validate(): void }; types: string }> = {
  'v1/ConfigMap': { model: ConfigMap, types: 'kubernetes-models/v1/ConfigMap' },
  'v1/Secret': { model: Secret, types: 'kubernetes-models/v1/Secret' },
  'v1/Service': { model: Service, types: 'kubernetes-models/v1/Service' },
  'apps/v1/StatefulSet': { model: StatefulSet, types: 'kubernetes-models/apps/v1/StatefulSet' },
  'apps/v1/Deployment': { model: Deployment, types: 'kubernetes-models/apps/v1/Deployment' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, types: 'kubernetes-models/policy/v1/PodDisruptionBudget' },
  'batch/v1/Job': { model: Job, types: 'kubernetes-models/batch/v1/Job' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    types: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  },
  'keda.sh/v1alpha1/ScaledObject': { model: ScaledObject, types: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, types: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy' },
  'monitoring.coreos.com/v1/PodMonitor': {
    model: PodMonitor,
    types: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor',
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    model: PrometheusRule,
    types: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
  },
};

/** JSON-schema errors of one document ([] when valid). */
function schemaErrors(doc: Manifest): string[] {
  const entry = models[`${doc.apiVersion}/${doc.kind}`];
  if (!entry) return [`no schema registered for ${doc.apiVersion} ${doc.kind}`];
  try {
    new entry.model(doc as never).validate();
    return [];
  } catch (error) {
    return coerceError(error).message.split(', ');
  }
}

/**
 * Fields the schemas do not know, and values of the wrong type, per document: every document
 * becomes an object literal typed with its generated interface, and the TypeScript compiler
 * reports each excess property with its path. One compilation for all documents.
 */
function strictFieldErrors(docs: Array<{ label: string; doc: Manifest }>): Map<string, string[]> {
  const fileName = join(REPO_ROOT, 'test/static/__k8s_manifests__.ts');
  const source = docs
    .map(({ doc }, index) => {
      const types = models[`${doc.apiVersion}/${doc.kind}`]?.types;
      if (!types) throw new Error(`no schema registered for ${doc.apiVersion} ${doc.kind}`);
      return `import type { I${doc.kind} as T${index} } from '${types}';\nexport const doc${index}: T${index} = ${JSON.stringify(doc, null, 1)};`;
    })
    .join('\n');
  const { sourceFile, diagnostics } = typecheckInMemory(fileName, source, ['lib.es2022.d.ts']);
  const problems = new Map<string, string[]>(docs.map(({ label }) => [label, []]));
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').split('\n')[0]!;
    const { doc, path } = jsonPathAt(sourceFile, diagnostic.start);
    problems.get(docs[doc]!.label)!.push(`${path}: ${message}`);
  }
  return problems;
}

/** The document index and JSON path of the object-literal node at `position`. */
function jsonPathAt(sourceFile: ts.SourceFile, position: number): { doc: number; path: string } {
  let node: ts.Node = sourceFile;
  for (;;) {
    const child = node
      .getChildren(sourceFile)
      .find((candidate) => candidate.getStart(sourceFile) <= position && position < candidate.getEnd());
    if (!child) break;
    node = child;
  }
  const parts: string[] = [];
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (ts.isPropertyAssignment(current)) parts.unshift(current.name.getText(sourceFile).replace(/^"|"$/g, ''));
    if (current.parent && ts.isArrayLiteralExpression(current.parent))
      parts.unshift(String(current.parent.elements.indexOf(current as ts.Expression)));
    if (ts.isVariableDeclaration(current))
      return { doc: Number(current.name.getText(sourceFile).slice('doc'.length)), path: `/${parts.join('/')}` };
  }
  throw new Error(`no document at position ${position}`);
}

// --- lookups -------------------------------------------------------------------------------------

function find<T>(kind: string, name: string): T {
  const found = manifests.find(({ doc }) => doc.kind === kind && doc.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in infra/k8s`);
  return found.doc as T;
}
const configMap = find<IConfigMap>('ConfigMap', 'callpipe-config');
const secret = find<ISecret>('Secret', 'callpipe-secrets');
const ingest = find<IStatefulSet>('StatefulSet', 'callpipe-ingest');
const worker = find<IDeployment>('Deployment', 'callpipe-worker');
const migrate = find<IJob>('Job', 'callpipe-migrate');
const workloads = [
  {
    name: 'ingest',
    pod: ingest.spec!.template.spec!,
    labels: ingest.spec!.template.metadata!.labels!,
    claims: ingest.spec!.volumeClaimTemplates!.map((claim) => claim.metadata!.name!),
  },
  { name: 'worker', pod: worker.spec!.template.spec!, labels: worker.spec!.template.metadata!.labels!, claims: [] },
  { name: 'migrate', pod: migrate.spec!.template.spec!, labels: migrate.spec!.template.metadata!.labels!, claims: [] },
];
const containerOf = (pod: IPodSpec, name: string): IContainer => pod.containers.find((container) => container.name === name)!;
const ingestContainer = containerOf(workloads[0]!.pod, 'ingest');
const workerContainer = containerOf(workloads[1]!.pod, 'worker');
const migrateContainer = containerOf(workloads[2]!.pod, 'migrate');

/** The environment a container starts with, with the example Secret's values. */
function containerEnv(container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, find<IConfigMap>('ConfigMap', from.configMapRef.name!).data);
    if (from.secretRef) Object.assign(env, find<ISecret>('Secret', from.secretRef.name!).stringData);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    const value = ref?.secretKeyRef
      ? find<ISecret>('Secret', ref.secretKeyRef.name!).stringData?.[ref.secretKeyRef.key]
      : ref?.configMapKeyRef
        ? find<IConfigMap>('ConfigMap', ref.configMapKeyRef.name!).data?.[ref.configMapKeyRef.key]
        : variable.value;
    if (value === undefined) throw new Error(`${container.name}: ${variable.name} refers to a key that does not exist`);
    env[variable.name] = value;
  }
  return env;
}
// Parsed once for the cross-checks; a refusal is reported by its own test below instead of
// failing the whole file, and the other checks run on the defaults.
const envErrors: string[] = [];
function parsedOr<T>(parse: () => T, fallback: () => T): T {
  try {
    return parse();
  } catch (error) {
    envErrors.push(coerceError(error).message);
    return fallback();
  }
}
const ingestConfig = parsedOr(
  () => parseIngestEnv(containerEnv(ingestContainer)),
  () => parseIngestEnv({}),
);
const workerConfig = parsedOr(
  () => parseWorkerEnv(containerEnv(workerContainer)),
  () => parseWorkerEnv({}),
);

const portNamed = (container: IContainer, name: string | number | undefined): number | undefined =>
  typeof name === 'number' ? name : container.ports?.find((port) => port.name === name)?.containerPort;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
/** Kubernetes quantity → bytes (binary and decimal suffixes). */
function bytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) throw new Error(`unsupported quantity ${quantity}`);
  const scale = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * scale;
}
function preStopSleepSeconds(container: IContainer): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const [program, seconds] = preStop?.exec?.command ?? [];
  return program === 'sleep' || program === '/bin/sleep' ? Number(seconds) : 0;
}

// --- schema validation --------------------------------------------------------------------------

// A Deployment whose replicas is a string, and one whose grace period was indented into its
// container: both are plausible YAML slips, and each layer must refuse its own. Built apart from the
// real manifests, so that a mistake there does not blur these.
function deployment(replicas: unknown, container: Record<string, unknown>): Manifest {
  const labels = { 'app.kubernetes.io/name': 'broken' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'app:1', ...container }] } },
    },
  } as Manifest;
}
const brokenReplicas = deployment('two', {});
const misindented = deployment(2, { terminationGracePeriodSeconds: 40 });
const strictErrors = strictFieldErrors([
  ...manifests.map(({ file, doc }) => ({ label: `${file} ${doc.kind}/${doc.metadata.name}`, doc })),
  { label: 'broken-indent', doc: misindented },
]);

describe('infra/k8s schemas', () => {
  it('parses every file into the kinds callpipe deploys', () => {
    expect(new Set(manifests.map(({ doc }) => doc.kind))).toEqual(
      new Set([
        'ConfigMap',
        'Secret',
        'Service',
        'StatefulSet',
        'PodDisruptionBudget',
        'Deployment',
        'ScaledObject',
        'HorizontalPodAutoscaler',
        'Job',
        'NetworkPolicy',
        'PodMonitor',
        'PrometheusRule',
      ]),
    );
  });

  it.each(manifests.map(({ file, doc }) => [`${file} ${doc.kind}/${doc.metadata.name}`, doc] as const))(
    '%s matches its JSON schema',
    (_label, doc) => {
      expect(schemaErrors(doc)).toEqual([]);
    },
  );

  it.each([...strictErrors].filter(([label]) => label !== 'broken-indent'))(
    '%s has no field the schema does not know',
    (_label, errors) => {
      expect(errors).toEqual([]);
    },
  );

  it('when a Deployment says replicas: "two", then the schema check refuses it', () => {
    expect(schemaErrors(brokenReplicas)).toEqual(['data/spec/replicas must be integer']);
  });

  it('when a field is indented into the wrong object, then the unknown-field check names it', () => {
    // The JSON schemas allow unknown properties; this is what the second layer is for.
    expect(schemaErrors(misindented)).toEqual([]);
    expect(strictErrors.get('broken-indent')).toEqual([
      `/spec/template/spec/containers/0/terminationGracePeriodSeconds: Object literal may only specify known properties, and '"terminationGracePeriodSeconds"' does not exist in type 'IContainer'.`,
    ]);
  });

  it('when a ConfigMap value reads as a YAML 1.1 boolean, then it is refused as kubectl would', () => {
    const [doc] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  WORKER_QUEUE_UI: off\n', 'inline');
    expect(schemaErrors(doc!)).toEqual(['data/data/WORKER_QUEUE_UI must be string']);
  });
});

// --- kustomization ------------------------------------------------------------------------------

describe('infra/k8s/kustomization.yaml', () => {
  const topLevel = files.filter((file) => !file.includes('/') && file !== 'kustomization.yaml');

  it('lists every manifest in the directory, and nothing from extras/', () => {
    expect([...kustomization.resources].sort()).toEqual(topLevel);
    expect(files.filter((file) => file.startsWith('extras/'))).toEqual([
      'extras/secret.example.yaml',
      'extras/worker-hpa.alternative.yaml',
    ]);
    expect(files.filter((file) => file.includes('/') && !/^(extras|monitoring)\//.test(file))).toEqual([]);
  });

  it('uses only kustomize fields it knows and sets no namespace, nor does any manifest', () => {
    for (const key of Object.keys(kustomization)) expect(['apiVersion', 'kind', 'resources', 'images', 'labels']).toContain(key);
    expect(kustomization).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
    for (const { file, doc } of manifests) expect(doc.metadata.namespace, file).toBeUndefined();
  });

  it('keeps the example Secret and the alternative HPA out, with a comment saying why', () => {
    const text = readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8');
    expect(text).toContain('extras/secret.example.yaml');
    expect(text).toContain('extras/worker-hpa.alternative.yaml');
    expect(readFileSync(join(K8S_DIR, 'extras/secret.example.yaml'), 'utf8')).toMatch(/secret store/);
    expect(readFileSync(join(K8S_DIR, 'extras/worker-hpa.alternative.yaml'), 'utf8')).toMatch(/two HPAs on one Deployment fight/);
  });

  // kubectl is not needed by the suite; where it is installed, its built-in kustomize renders the
  // directory as `kubectl apply -k` would.
  const kubectl = spawnSync('kubectl', ['kustomize', K8S_DIR], { encoding: 'utf8', timeout: 30_000 });
  it.skipIf(kubectl.error !== undefined)('renders with kubectl kustomize into exactly the listed objects, on the pinned image', () => {
    expect(kubectl.stderr).toBe('');
    expect(kubectl.status).toBe(0);
    const rendered = parseManifests(kubectl.stdout, 'kubectl kustomize');
    const listed = manifests.filter(({ file }) => kustomization.resources.includes(file)).map(({ doc }) => doc);
    const ids = (docs: Manifest[]) => docs.map((doc) => `${doc.kind}/${doc.metadata.name}`).sort();
    expect(ids(rendered)).toEqual(ids(listed));
    const { newName, newTag } = kustomization.images[0]!;
    expect(kubectl.stdout.match(/image: .*/g)).toEqual(Array(3).fill(`image: ${newName}:${newTag}`));
  });

  it('pins the one image every container runs, and runs it through its ENTRYPOINT', () => {
    const containers = workloads.flatMap(({ pod }) => pod.containers);
    expect(new Set(containers.map((container) => container.image))).toEqual(new Set(['callpipe']));
    expect(kustomization.images).toEqual([expect.objectContaining({ name: 'callpipe' })]);
    expect(kustomization.images[0]!.newTag).toMatch(/\d/);
    expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toContain('ENTRYPOINT ["node", "dist/main.js"]');
    for (const container of containers) expect(container.command, container.name).toBeUndefined();
    expect(workloads.map(({ pod }) => pod.containers[0]!.args)).toEqual([['ingest'], ['worker'], ['migrate']]);
  });
});

// --- configuration ------------------------------------------------------------------------------

describe('infra/k8s configuration', () => {
  const known = new Set([
    ...Object.keys(ingestEnvSchema.shape),
    ...Object.keys(workerEnvSchema.shape),
    ...Object.keys(migrateEnvSchema.shape),
  ]);

  it('has only variables the services read, each in the service its prefix names', () => {
    for (const name of [...Object.keys(configMap.data!), ...Object.keys(secret.stringData!)]) {
      expect(known, name).toContain(name);
      if (name.startsWith('INGEST_')) expect(Object.keys(ingestEnvSchema.shape), name).toContain(name);
      if (name.startsWith('WORKER_')) expect(Object.keys(workerEnvSchema.shape), name).toContain(name);
    }
    for (const name of Object.keys(containerEnv(ingestContainer))) expect(known, `ingest: ${name}`).toContain(name);
    for (const name of Object.keys(containerEnv(workerContainer))) expect(known, `worker: ${name}`).toContain(name);
    expect(Object.keys(containerEnv(migrateContainer)).sort()).toEqual(['CALLPIPE_GRAFANA_DB_PASSWORD', 'DATABASE_URL', 'LOG_LEVEL']);
    for (const name of Object.keys(containerEnv(migrateContainer))) expect(Object.keys(migrateEnvSchema.shape), name).toContain(name);
  });

  it('puts exactly the four secrets in the Secret, and nothing secret in the ConfigMap', () => {
    expect(Object.keys(secret.stringData!).sort()).toEqual([
      'CALLPIPE_GRAFANA_DB_PASSWORD',
      'CALLPIPE_NUMBER_HASH_KEY',
      'DATABASE_URL',
      'INGEST_APP_SECRETS',
      'WORKER_QUEUE_UI_TOKEN',
    ]);
    for (const name of Object.keys(configMap.data!)) expect(name).not.toMatch(/SECRET|PASSWORD|HASH_KEY|DATABASE_URL|TOKEN/);
  });

  it('starts each service with an environment its env schema accepts (app secrets and cross-field rules included)', () => {
    expect(envErrors).toEqual([]);
    expect(ingestConfig.appSecrets.size).toBe(1);
    // Bull Board on the worker's admin port asks for the Secret's token.
    expect(workerConfig.WORKER_QUEUE_UI_TOKEN).not.toBe('');
    expect(workerConfig.WORKER_DB_POOL_SIZE).toBeGreaterThanOrEqual(workerConfig.WORKER_PARALLEL_BATCHES);
    expect(() => workerEnvSchema.shape.DATABASE_URL.parse(containerEnv(migrateContainer)['DATABASE_URL'])).not.toThrow();
  });

  it('gives the internet-facing ingest no database credentials and no number hash key', () => {
    const names = Object.keys(containerEnv(ingestContainer));
    expect(names).not.toContain('DATABASE_URL');
    expect(names).not.toContain('CALLPIPE_NUMBER_HASH_KEY');
    for (const { pod } of workloads)
      for (const container of pod.containers)
        expect(
          container.envFrom?.some((from) => from.secretRef),
          container.name,
        ).toBeFalsy();
  });
});

// --- workloads ----------------------------------------------------------------------------------

describe('infra/k8s workloads', () => {
  const adminRoutes = readFileSync(join(REPO_ROOT, 'packages/runtime/src/admin-server.ts'), 'utf8');

  it.each([
    ['ingest', ingestContainer, ingestConfig.INGEST_ADMIN_PORT, workloads[0]!],
    ['worker', workerContainer, workerConfig.WORKER_ADMIN_PORT, workloads[1]!],
  ] as const)('%s: probes and scrape annotations use the admin port and routes that exist', (_name, container, adminPort, workload) => {
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    for (const path of ['/readyz', '/healthz', '/metrics']) expect(adminRoutes).toContain(`app.get('${path}'`);
    expect(portNamed(container, container.readinessProbe!.httpGet!.port)).toBe(adminPort);
    expect(portNamed(container, container.livenessProbe!.httpGet!.port)).toBe(adminPort);
    const annotations = (workload.name === 'ingest' ? ingest.spec!.template.metadata : worker.spec!.template.metadata)!.annotations!;
    expect(annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(adminPort),
      'prometheus.io/path': '/metrics',
    });
  });

  it('ingest: the push port is the one the service listens on, and the Service reaches it', () => {
    expect(portNamed(ingestContainer, 'push')).toBe(ingestConfig.INGEST_PORT);
    const service = find<IService>('Service', 'callpipe-ingest');
    expect(matches(service.spec!.selector, workloads[0]!.labels)).toBe(true);
    expect(matches(service.spec!.selector, workloads[1]!.labels)).toBe(false);
    expect(service.spec!.ports!.map((port) => portNamed(ingestContainer, port.targetPort))).toEqual([ingestConfig.INGEST_PORT]);
  });

  it('no Service exposes an admin port', () => {
    const adminPorts = new Set([ingestConfig.INGEST_ADMIN_PORT, workerConfig.WORKER_ADMIN_PORT]);
    for (const { doc } of manifests.filter(({ doc }) => doc.kind === 'Service')) {
      for (const port of (doc as IService).spec!.ports ?? [])
        expect(adminPorts.has(portNamed(ingestContainer, port.targetPort ?? port.port) ?? -1), doc.metadata.name).toBe(false);
    }
  });

  it('ingest: a StatefulSet of ≥ 2 governed by a headless Service, disrupted one pod at a time', () => {
    expect(ingest.spec!.replicas).toBeGreaterThanOrEqual(2);
    expect(matches(ingest.spec!.selector.matchLabels, workloads[0]!.labels)).toBe(true);
    const headless = find<IService>('Service', ingest.spec!.serviceName!);
    expect(headless.spec!.clusterIP).toBe('None');
    expect(matches(headless.spec!.selector, workloads[0]!.labels)).toBe(true);
    const budget = find<IPodDisruptionBudget>('PodDisruptionBudget', 'callpipe-ingest');
    expect(matches(budget.spec!.selector!.matchLabels, workloads[0]!.labels)).toBe(true);
    expect(matches(budget.spec!.selector!.matchLabels, workloads[1]!.labels)).toBe(false);
    expect(budget.spec!.maxUnavailable === 1 || budget.spec!.minAvailable === 1).toBe(true);
    expect(
      ingest.spec!.template.spec!.topologySpreadConstraints?.every((constraint) =>
        matches(constraint.labelSelector?.matchLabels, workloads[0]!.labels),
      ),
    ).toBe(true);
  });

  it('ingest: the spool is on a per-pod persistent volume larger than INGEST_SPOOL_MAX_BYTES, and never deleted automatically', () => {
    const mount = ingestContainer.volumeMounts!.find((volumeMount) => volumeMount.mountPath === ingestConfig.INGEST_SPOOL_DIR);
    expect(mount, 'INGEST_SPOOL_DIR is a mount').toBeDefined();
    const claim = ingest.spec!.volumeClaimTemplates!.find((template) => template.metadata!.name === mount!.name);
    expect(claim, 'the spool mount is a volumeClaimTemplate').toBeDefined();
    expect(ingest.spec!.template.spec!.volumes?.some((volume) => volume.name === mount!.name)).toBeFalsy();
    expect(bytes(claim!.spec!.resources!.requests!['storage']!)).toBeGreaterThan(ingestConfig.INGEST_SPOOL_MAX_BYTES);
    expect(ingest.spec!.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    // fsGroup: the volume must be writable by the image's non-root user.
    expect(ingest.spec!.template.spec!.securityContext!.fsGroup).toBe(ingest.spec!.template.spec!.securityContext!.runAsGroup);
  });

  it('ingest: stays in the endpoints until the network forgets it, then drains within the grace period', () => {
    const sleep = preStopSleepSeconds(ingestContainer);
    expect(sleep).toBeGreaterThanOrEqual(5);
    expect(ingest.spec!.template.spec!.terminationGracePeriodSeconds!).toBeGreaterThan(
      sleep + ingestConfig.INGEST_SHUTDOWN_DEADLINE_MS / 1000,
    );
  });

  it('worker: the grace period exceeds its shutdown deadline, and the autoscaler alone sets the replica count', () => {
    const sleep = preStopSleepSeconds(workerContainer);
    expect(worker.spec!.template.spec!.terminationGracePeriodSeconds!).toBeGreaterThan(
      sleep + workerConfig.WORKER_SHUTDOWN_DEADLINE_MS / 1000,
    );
    expect(worker.spec!.replicas).toBeUndefined();
    expect(matches(worker.spec!.selector.matchLabels, workloads[1]!.labels)).toBe(true);
  });

  it('worker: KEDA scales it on the backlog gauge the worker exports, taken with max() since every replica reports the whole queue', () => {
    const scaled = find<IScaledObject>('ScaledObject', 'callpipe-worker');
    expect(scaled.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: worker.metadata!.name });
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const [trigger, ...others] = scaled.spec.triggers;
    expect(others).toEqual([]);
    expect(trigger!.type).toBe('prometheus');
    const query = trigger!.metadata['query']!;
    expect(query).toMatch(/^max\(callpipe_queue_jobs\{[^}]*state="waiting"[^}]*\}\)$/);
    const queueMetrics = readFileSync(join(REPO_ROOT, 'packages/metrics/src/queue.ts'), 'utf8');
    expect(queueMetrics).toContain(`name: 'callpipe_queue_jobs'`);
    expect(queueMetrics).toMatch(/help: 'Jobs in the push queue by state \([^)]*\bwaiting\b/);
    expect(query).toContain(`service="worker"`);
    expect(readFileSync(join(REPO_ROOT, 'services/worker/src/service.ts'), 'utf8')).toContain(`createMetricsRegistry('worker')`);
    expect(Number(trigger!.metadata['threshold'])).toBeGreaterThan(0);
  });

  it('worker: the alternative HPA targets the same Deployment with the same metric', () => {
    const hpa = find<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'callpipe-worker');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: worker.metadata!.name });
    expect(hpa.spec.metrics![0]!.external!.metric).toEqual({
      name: 'callpipe_queue_jobs',
      selector: { matchLabels: { state: 'waiting' } },
    });
  });

  it('migrate: a Job that retries a few times and cleans itself up', () => {
    expect(migrate.spec!.backoffLimit).toBeGreaterThan(0);
    expect(migrate.spec!.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(['Never', 'OnFailure']).toContain(migrate.spec!.template.spec!.restartPolicy);
  });

  it.each(workloads.map((workload) => [workload.name, workload] as const))(
    '%s: non-root with a numeric uid, read-only root filesystem, requests and limits',
    (_name, { pod, claims }) => {
      // The image's `USER node` is a name, which runAsNonRoot cannot verify without runAsUser.
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number) as number });
      expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        for (const kind of ['requests', 'limits'] as const)
          expect(Object.keys(container.resources?.[kind] ?? {}).sort(), `${container.name} ${kind}`).toEqual(['cpu', 'memory']);
        for (const volumeMount of container.volumeMounts ?? []) {
          const declared = pod.volumes?.some((volume) => volume.name === volumeMount.name) || claims.includes(volumeMount.name);
          expect(declared, `${container.name}: ${volumeMount.name}`).toBe(true);
        }
      }
    },
  );
});
