import { ConfigError, coerceError, createLogger } from '@callpipe/runtime';
import { runDeadLetters } from './commands/dead-letters.ts';
import { runMigrate } from './commands/migrate.ts';
import { runPartitions } from './commands/partitions.ts';
import { runIngest, runStart, runWorker } from './commands/serve.ts';
import { runSimulate } from './commands/simulate.ts';
import { parseReplayEnv, runReplay } from './commands/replay.ts';
import { runReprocess } from './commands/reprocess.ts';
import { parseMigrateEnv, parseQueueAdminEnv } from './env.ts';

const USAGE = `usage: pnpm callpipe <command>

  migrate               create the database if missing and apply migrations
  ingest                run the push endpoint (HTTP → Redis)
  worker                run the queue workers (Redis → Postgres)
  start                 migrate, then ingest and worker in one process
  dead-letters list     show jobs that failed for good
  dead-letters retry    put them back on the queue
  simulate --url U ...  send realistic traffic, optionally --verify what was stored
  replay <file|->...    replay CDR/push files (JSON, JSON lines, CSV, gzip) exactly once; --dry-run to compare
  reprocess [filters]   re-derive stored calls and CDRs with the current model
  partitions [status|maintain]  list daily partitions and DEFAULT rows; or create ahead and apply the retention now

Configuration comes from the environment; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The entry point hands the environment to each command's validated config; nothing else reads it.
  const env = process.env;
  switch (command) {
    case 'migrate': {
      const config = parseMigrateEnv(env);
      await runMigrate(config, createLogger({ level: config.LOG_LEVEL, bindings: { service: 'migrate' } }));
      return 0;
    }
    case 'ingest':
      await runIngest(env);
      return -1;
    case 'worker':
      await runWorker(env);
      return -1;
    case 'start':
      await runStart(env);
      return -1;
    case 'partitions':
      return runPartitions(rest[0], parseMigrateEnv(env), (line) => console.log(line));
    case 'dead-letters':
      return runDeadLetters(rest[0], parseQueueAdminEnv(env), (line) => console.log(line));
    case 'replay':
      return runReplay(rest, parseReplayEnv(env));
    case 'reprocess':
      return runReprocess(rest, parseReplayEnv(env), (line) => console.log(line));
    case 'simulate':
      return runSimulate(rest, parseMigrateEnv(env).DATABASE_URL, (line) => console.log(line));
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (-1) keep the process alive until their shutdown coordinator exits it.
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const failure = coerceError(error);
    console.error(
      failure instanceof ConfigError
        ? failure.message
        : `callpipe: ${failure.message}${failure.cause ? `\ncaused by: ${coerceError(failure.cause).message}` : ''}`,
    );
    process.exit(1);
  },
);
