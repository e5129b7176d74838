export * from './errors.ts';
export * from './backoff.ts';
export * from './mask.ts';
export * from './logger.ts';
export * from './shutdown.ts';
export * from './admin-server.ts';
export * from './http.ts';
export * from './env.ts';
