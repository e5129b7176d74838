import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ingestEnvSchema } from '@callpipe/ingest';
import { workerEnvSchema } from '@callpipe/worker';
import { migrateEnvSchema } from '@callpipe/cli/env';
import { REPO_ROOT } from '../support/process.ts';

// No Docker engine runs where CI does, so the compose stack is checked statically against the code
// it starts: commands, variables, ports, images and the Dockerfile's entry point.
interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const cliCommands = ['migrate', 'ingest', 'worker', 'start', 'dead-letters'];
const knownVariables = new Set([
  ...Object.keys(ingestEnvSchema.shape),
  ...Object.keys(workerEnvSchema.shape),
  ...Object.keys(migrateEnvSchema.shape),
]);

describe('docker-compose.yml', () => {
  it('has redis, postgres, migrate, ingest, worker, prometheus and grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'ingest', 'migrate', 'postgres', 'prometheus', 'redis', 'worker']);
  });

  it('mounts the provisioned Prometheus config and Grafana dashboards that exist in the repository', () => {
    const mounts = ['prometheus', 'grafana', 'postgres'].flatMap((name) =>
      ((compose.services[name] as { volumes?: string[] }).volumes ?? []).filter((volume) => volume.startsWith('./')),
    );
    expect(mounts.length).toBe(4);
    for (const mount of mounts) expect(existsSync(join(REPO_ROOT, mount.split(':')[0]!)), mount).toBe(true);
    const prometheusConfig = parse(readFileSync(join(REPO_ROOT, 'infra/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs?: { targets: string[] }[] }[];
    };
    const targets = prometheusConfig.scrape_configs.flatMap((job) => (job.static_configs ?? []).flatMap((config) => config.targets));
    expect(targets).toEqual(expect.arrayContaining(['ingest:9091', 'worker:9092']));
  });

  it('pins every pulled image to a version', () => {
    for (const [name, service] of Object.entries(compose.services).filter(([, service]) => service.build === undefined)) {
      const image = service.image ?? '';
      expect(image, name).toMatch(/:[\w.-]*\d[\w.-]*$/);
      expect(image, name).not.toMatch(/:latest$/);
    }
  });

  it('runs Redis with AOF and noeviction', () => {
    const command = compose.services['redis']!.command!.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('gives Redis the memory budget the CallpipeRedisMemoryHigh alert warns at 80% of', () => {
    const alerts = parse(readFileSync(join(REPO_ROOT, 'infra/prometheus/alerts.yml'), 'utf8')) as {
      groups: { rules: { alert?: string; expr: string }[] }[];
    };
    const rule = alerts.groups.flatMap((group) => group.rules).find((candidate) => candidate.alert === 'CallpipeRedisMemoryHigh')!;
    const threshold = Number(/>\s*(\d+)\s*$/.exec(rule.expr)![1]);
    const command = compose.services['redis']!.command!;
    const maxmemory = command[command.indexOf('--maxmemory') + 1]!;
    const units: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
    const bytes = Number(/^\d+/.exec(maxmemory)![0]) * (units[maxmemory.replace(/^\d+/, '').toLowerCase()] ?? 1);
    expect(Math.floor(bytes * 0.8)).toBe(threshold);
  });

  it('runs Postgres with the production configuration of infra/postgres', () => {
    const postgres = compose.services['postgres'] as ComposeService & { volumes: string[] };
    const mount = postgres.volumes.find((volume) => volume.startsWith('./infra/postgres/postgresql.conf:'))!;
    expect(mount).toBeDefined();
    expect(postgres.command).toEqual(['postgres', '-c', `config_file=${mount.split(':')[1]}`]);
  });

  it('lets Grafana read Postgres only through the read-only role migrate creates', () => {
    const datasources = parse(readFileSync(join(REPO_ROOT, 'infra/grafana/provisioning/datasources/datasources.yml'), 'utf8')) as {
      datasources: { type: string; user?: string; secureJsonData?: { password?: string } }[];
    };
    const postgres = datasources.datasources.find((source) => source.type === 'grafana-postgresql-datasource')!;
    expect(postgres.user).toBe(migrateEnvSchema.shape.CALLPIPE_GRAFANA_DB_USER.parse(undefined));
    expect(postgres.secureJsonData?.password).toBe('${GRAFANA_DB_PASSWORD}');
    expect(compose.services['grafana']!.environment!['GRAFANA_DB_PASSWORD']).toBe(
      compose.services['migrate']!.environment!['CALLPIPE_GRAFANA_DB_PASSWORD'],
    );
    expect(compose.services['grafana']!.environment).not.toHaveProperty('POSTGRES_PASSWORD');
  });

  it('starts callpipe services with real CLI commands and only variables the services read', () => {
    for (const name of ['migrate', 'ingest', 'worker']) {
      const service = compose.services[name]!;
      expect(cliCommands, name).toContain(service.command?.[0]);
      for (const variable of Object.keys(service.environment ?? {})) expect(knownVariables, `${name}: ${variable}`).toContain(variable);
    }
  });

  it('maps the container ports the services listen on by default', () => {
    const defaults = ingestEnvSchema.parse({});
    const workerDefaults = workerEnvSchema.parse({});
    const targets = (name: string) => (compose.services[name]!.ports ?? []).map((port) => Number(port.split(':').at(-1)));
    expect(targets('ingest').sort()).toEqual([defaults.INGEST_PORT, defaults.INGEST_ADMIN_PORT].sort());
    expect(targets('worker')).toEqual([workerDefaults.WORKER_ADMIN_PORT]);
  });

  it('starts ingest and worker only after migrate succeeded', () => {
    for (const name of ['ingest', 'worker'])
      expect(compose.services[name]!.depends_on?.['migrate']?.condition).toBe('service_completed_successfully');
  });
});

describe('Dockerfile', () => {
  it('runs the built CLI on Node 24', () => {
    expect(dockerfile).toMatch(/^FROM node:24\.[\d.]+-bookworm-slim/m);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]');
    const build = JSON.parse(readFileSync(join(REPO_ROOT, 'services/callpipe/tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(REPO_ROOT, 'services/callpipe/src/main.ts'))).toBe(true);
  });
});
