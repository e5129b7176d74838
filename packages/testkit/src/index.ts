import './provided-context.ts';
export { resolveTestServices, type TestServices } from './services.ts';
export { createTestDatabase, databaseUrlFor, dropDatabase, prepareTemplateDatabase, type TestDatabase } from './databases.ts';
export { uniqueQueuePrefix } from './queue-prefix.ts';
export { testContext } from './context.ts';
export { waitFor } from './wait-for.ts';
