// The parts of the harness that do not need a vitest run: for the benchmark and other scripts.
// `@callpipe/testkit` re-exports all of them next to what reads vitest's injected context.
export { resolveTestServices, type TestServices } from './services.ts';
export { createTestDatabase, databaseUrlFor, dropDatabase, prepareTemplateDatabase, type TestDatabase } from './databases.ts';
export { uniqueQueuePrefix } from './queue-prefix.ts';
export { waitFor, type WaitForOptions } from './wait-for.ts';
export { connectionBaseline, describeLeaks, leakedConnections, openSockets, type LeakedConnection, type LeakCheckTarget } from './leaks.ts';
export { startS3Server, type TestS3Server } from './s3-server.ts';
export {
  startFakeVoiceCallApi,
  wavFor,
  type FakeApiRequest,
  type FakeRecordingScenario,
  type FakeVoiceCallApi,
  type FakeVoiceCallApiOptions,
} from './fake-voicecall-api.ts';
