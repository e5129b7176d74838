import type { TestProject } from 'vitest/node';
import { dropDatabase, prepareTemplateDatabase } from './databases.ts';
import { resolveTestServices } from './services.ts';
import './provided-context.ts';

/** Resolves Redis/Postgres once per run and migrates the template database the test files clone. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The harness is the one place besides each service's env module that reads the environment.
  const services = await resolveTestServices(process.env);
  const template = await prepareTemplateDatabase(services.databaseUrl);
  project.provide('redisUrl', services.redisUrl);
  project.provide('databaseServerUrl', services.databaseUrl);
  project.provide('templateDatabase', template);
  project.provide('inCi', Boolean(process.env['CI']));
  project.provide('leakFixture', process.env['CALLPIPE_LEAK_FIXTURE'] === '1');
  return async () => {
    await dropDatabase(services.databaseUrl, template);
    await services.stop();
  };
}
