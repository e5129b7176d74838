export { createIngestService, type IngestService } from './service.ts';
export { ingestEnvSchema, parseIngestEnv, type IngestEnv } from './env.ts';
export { createIngestListener, PUSH_ROUTES } from './app.ts';
