import { z } from 'zod';
import { PUSH_ROUTES } from '../app.ts';
import {
  errorBodySchema,
  feeInfoSchema,
  feePushSchema,
  pushBodySchema,
  pushErrorCodes,
  pushErrorDescriptions,
  statusInfoSchema,
  statusPushSchema,
  successBodySchema,
} from './push-contract.ts';

// OpenAPI 3.1 of the push port and the admin ports, generated from the zod schemas beside this
// file (zod's JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses). Written to
// infra/openapi/openapi.json by `pnpm openapi:generate` and served at /openapi.json on the
// ingest's admin port; a test keeps the file equal to this.

type JsonSchema = Record<string, unknown>;

const COMPONENTS = [statusInfoSchema, statusPushSchema, feeInfoSchema, feePushSchema, pushBodySchema, successBodySchema];
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const SETTINGS = {
  target: 'draft-2020-12',
  io: 'input',
  unrepresentable: 'throw',
  uri: (id: string) => `#/components/schemas/${id}`,
} as const;

/** The schemas with an `id` in their metadata, as components that refer to each other by $ref. */
function namedComponents(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const schema of COMPONENTS) {
    const meta = z.globalRegistry.get(schema) as { id: string; description?: string };
    registry.add(schema, meta);
  }
  const { schemas } = z.toJSONSchema(registry, SETTINGS) as { schemas: Record<string, JsonSchema> };
  for (const schema of Object.values(schemas)) {
    delete schema['$schema'];
    delete schema['id'];
    // zod writes the uri as $id; a fragment is not a valid $id in 2020-12, and $ref finds it anyway.
    delete schema['$id'];
  }
  return schemas;
}

/** An unnamed schema, inline. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const rendered = z.toJSONSchema(schema, SETTINGS) as JsonSchema;
  delete rendered['$schema'];
  return rendered;
}

const errorCodes = Object.keys(pushErrorCodes).map(Number) as (keyof typeof pushErrorCodes)[];
const errorResponse = (status: keyof typeof pushErrorCodes) => ({
  description: pushErrorDescriptions[status],
  content: { 'application/json': { schema: ref(`Error${status}`) } },
});

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** The contract's own version: raised when a response or a field changes meaning, not per release. */
export const API_VERSION = '1.0.0';

export function openApiDocument(): JsonSchema {
  const pushOperation = (route: string) => ({
    operationId: `push${route
      .split('/')
      .at(-1)!
      .replace(/^./, (first) => first.toUpperCase())}`,
    tags: ['push'],
    summary: `Receive a status or CDR push (${route})`,
    description:
      'statusUrl and feeUrl may point at the same route: all three accept both kinds. With INGEST_PATH_SECRET the routes live under `/<secret>/`. The body is read as bytes: any Content-Type is accepted.',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: ref('PushBody'), examples: pushExamples } },
    },
    responses: {
      200: { description: 'Stored (in Redis or in the disk spool).', content: json(ref('Success')) },
      ...Object.fromEntries(errorCodes.map((status) => [status, errorResponse(status)])),
    },
  });
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'callpipe',
      version: API_VERSION,
      description:
        'The push target for Huawei Cloud VoiceCall status and CDR pushes (port 8080), and the admin ports of the ingest (9091) and the worker (9092). Generated from the zod schemas in services/ingest/src/contract; the parsing that decides lives in @callpipe/events.',
    },
    servers: [
      { url: 'http://localhost:8080', description: 'push port (INGEST_PORT)' },
      { url: 'http://localhost:9091', description: 'ingest admin port (INGEST_ADMIN_PORT)' },
      { url: 'http://localhost:9092', description: 'worker admin port (WORKER_ADMIN_PORT)' },
    ],
    tags: [
      { name: 'push', description: 'The public endpoint the platform pushes to.' },
      { name: 'admin', description: 'Health, readiness and metrics; never expose these publicly (see the NetworkPolicy).' },
    ],
    paths: {
      ...Object.fromEntries(PUSH_ROUTES.map((route) => [route, { post: pushOperation(route) }])),
      '/healthz': {
        get: {
          operationId: 'healthz',
          tags: ['admin'],
          summary: 'Alive (admin ports)',
          responses: { 200: { description: 'The process runs.', content: json(ref('Health')) } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          tags: ['admin'],
          summary: 'Ready: dependencies reachable and not draining (admin ports)',
          responses: {
            200: { description: 'Ready.', content: json(ref('Readiness')) },
            503: { description: 'Draining (shutdown began) or a dependency failed its check.', content: json(ref('Readiness')) },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          tags: ['admin'],
          summary: 'Prometheus metrics (admin ports)',
          responses: {
            200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } },
            500: { description: 'Collecting a metric failed.', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          tags: ['admin'],
          summary: 'This document (ingest admin port)',
          responses: { 200: { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      schemas: {
        ...namedComponents(),
        ...Object.fromEntries(errorCodes.map((status) => [`Error${status}`, jsonSchema(errorBodySchema(pushErrorCodes[status]))])),
        Health: jsonSchema(healthSchema),
        Readiness: jsonSchema(readinessSchema),
      },
    },
  };
}

const healthSchema = z.strictObject({ status: z.literal('ok') });
const readinessSchema = z.strictObject({
  status: z.enum(['ready', 'not_ready', 'draining']),
  checks: z.array(z.strictObject({ name: z.string(), ok: z.boolean(), error: z.string().optional() })).optional(),
});

const pushExamples = {
  status: {
    summary: 'A callout event',
    value: {
      eventType: 'callout',
      statusInfo: {
        sessionId: '1201_3381_4294967295_20240611023015@callenabler246.huaweicaas.com',
        timestamp: '2024-06-11 02:30:15',
        caller: '+8657188880001',
        called: '+8613800000001',
      },
    },
  },
  fee: {
    summary: 'One CDR',
    value: {
      eventType: 'fee',
      feeLst: [
        {
          sessionId: '1201_3381_4294967295_20240611023015@callenabler246.huaweicaas.com',
          callEndTime: '2024-06-11 02:31:40',
          direction: 0,
        },
      ],
    },
  },
};
