import { collectDefaultMetrics, Registry } from 'prom-client';

/** One explicit registry per process, with Node's default metrics (event-loop lag included). */
export function createMetricsRegistry(service: 'ingest' | 'worker' | 'callpipe'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}
