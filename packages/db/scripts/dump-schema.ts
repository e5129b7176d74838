import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDatabase, ensureDatabaseExists, migrateToLatest, quoteIdentifier } from '../src/index.ts';
import { dumpSchema } from '../src/schema-dump.ts';
import pg from 'pg';

// Regenerates schema.sql: migrates a scratch database on the server given as the first argument
// (default: local trust-auth Postgres), dumps it, drops it.
const server = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const url = new URL(server);
const name = `callpipe_schema_${process.pid}`;
url.pathname = `/${name}`;
await ensureDatabaseExists(url.toString());
const db = createDatabase({ connectionString: url.toString(), poolSize: 1 });
await migrateToLatest(db);
await db.destroy();
const target = fileURLToPath(new URL('../schema.sql', import.meta.url));
writeFileSync(target, dumpSchema(url.toString()));
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`DROP DATABASE ${quoteIdentifier(name)}`);
await admin.end();
console.log(`wrote ${target}`);
