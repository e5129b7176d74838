// What the global setup hands to every test file through vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseServerUrl: string;
    templateDatabase: string;
    /** CI is set: what CI always has (../shared) must be there, not skipped. */
    inCi: boolean;
    /** Set by the leak check's self-test for the run of its deliberately leaking fixture file. */
    leakFixture: boolean;
  }
}

export {};
