export { createIngestService, type IngestService } from './service.ts';
export { ingestEnvSchema, parseIngestEnv, type IngestEnv } from './env.ts';
export { createIngestListener, PUSH_ROUTES } from './app.ts';
export { inspectSpool, type SegmentReport, type SpoolReport } from './spool/inspect.ts';
export { Spool, type SpoolEntry } from './spool/spool.ts';
export { API_VERSION, openApiDocument } from './contract/openapi.ts';
export { pushErrorCodes } from './contract/push-contract.ts';
