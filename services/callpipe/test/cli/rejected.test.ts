import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeRejectedPushes, type RejectedPush } from '@callpipe/db';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, connectionCounter, countedEnv, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
let database: TestDatabase;
let env: Record<string, string>;

const CALLER = '+8657188880001';
const CALLED = '+8613800000001';

function rejected(deliveryId: string, reasonCode: string, body: Buffer, receivedAt: string): RejectedPush {
  return {
    deliveryId,
    stage: 'ingest',
    source: 'http:/voicecall/events',
    receivedAt,
    contentType: 'application/json',
    reasonCode,
    reasonMessage: `rejected: ${reasonCode}`,
    body,
    bodyTruncated: false,
  };
}

beforeAll(async () => {
  database = await context.createDatabase();
  env = { DATABASE_URL: database.url };
  const status = JSON.stringify({
    eventType: 'callout',
    statusInfo: { sessionId: 'cli-readmit-status', timestamp: '2016-12-26  01:19:46', caller: CALLER, called: CALLED },
  });
  const [head, tail] = JSON.stringify({
    eventType: 'fee',
    feeLst: [
      { sessionId: 'cli-readmit-fee', callerNum: CALLER, calleeNum: CALLED, callEndTime: '2024-06-11 02:31:23', userData: 'caf<e9>' },
    ],
  }).split('<e9>');
  await storeRejectedPushes(database.db, [
    rejected('c0000000-0000-4000-8000-000000000001', 'invalid_timestamp', Buffer.from(status, 'utf8'), '2024-06-11T03:00:00.000Z'),
    rejected(
      'c0000000-0000-4000-8000-000000000002',
      'invalid_utf8',
      Buffer.concat([Buffer.from(head!, 'utf8'), Buffer.from([0xe9]), Buffer.from(tail!, 'utf8')]),
      '2024-06-11T04:00:00.000Z',
    ),
    rejected(
      'c0000000-0000-4000-8000-000000000003',
      'missing_session_id',
      Buffer.from('{"eventType":"callout","statusInfo":{}}'),
      '2024-06-11T05:00:00.000Z',
    ),
  ]);
});
afterAll(() => database.drop());

async function idOf(reasonCode: string): Promise<string> {
  const row = await database.db.selectFrom('rejected_pushes').select('id').where('reason_code', '=', reasonCode).executeTakeFirstOrThrow();
  return row.id;
}

describe('callpipe rejected', () => {
  it.each([[['rejected']], [['rejected', 'list']], [['rejected', 'show']], [['rejected', 'readmit']]])(
    'when %j is given --help or -h, then it prints its usage and exits 0 without reading the env or connecting',
    async (command) => {
      const counter = await connectionCounter();
      try {
        const usage = `callpipe ${command.join(' ')} [options]${command[1] === 'show' ? ' <id>' : command.length === 1 ? ' [command]' : ''}`;
        for (const flag of ['--help', '-h']) {
          expectHelp(await callpipe([...command, flag], countedEnv(counter.port, '/nonexistent')), usage);
          expectHelp(await callpipe([...command, flag], refusedEnv), usage);
        }
        expect(counter.connections()).toBe(0);
      } finally {
        await counter.close();
      }
    },
  );

  it('when an option, a value or an argument is wrong, then it exits 2 with one line on stderr', async () => {
    expectUsageError(await callpipe(['rejected', 'list', '--bogus'], env), "unknown option '--bogus'");
    expectUsageError(await callpipe(['rejected', 'list', '--limit', 'many'], env), '--limit: ');
    expectUsageError(await callpipe(['rejected', 'readmit', '--since', 'yesterday'], env), '--since: must be an ISO time');
    expectUsageError(
      await callpipe(['rejected', 'readmit', '--since', '2024-06-12T00:00:00Z', '--until', '2024-06-11T00:00:00Z'], env),
      '--since must be before --until',
    );
    expectUsageError(await callpipe(['rejected', 'show'], env), "missing required argument 'id'");
    expectUsageError(await callpipe(['rejected', 'show', '12x'], env), '"12x" is not a row id');
    expectUsageError(await callpipe(['rejected', 'frobnicate'], env), "unknown command 'frobnicate'");
  });

  it('when listing with --json, then each stdout line is one row, newest first, its preview masked', async () => {
    const result = await callpipe(['rejected', 'list', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((row) => row['reasonCode'])).toEqual(['missing_session_id', 'invalid_utf8', 'invalid_timestamp']);
    expect(rows[2]).toMatchObject({ stage: 'ingest', recordIndex: null, readmittedAt: null, receivedAt: '2024-06-11T03:00:00.000Z' });
    expect(result.stdout).not.toContain(CALLER);
    expect(result.stderr).toBe('3 rejected rows\n');

    const filtered = await callpipe(['rejected', 'list', '--json', '--code', 'invalid_utf8', '--since', '2024-06-11T00:00:00Z'], env);
    expect(filtered.stdout.trimEnd().split('\n').length).toBe(1);
    const table = await callpipe(['rejected', 'list', '--limit', '1'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^id +received_at +stage +reason_code +source +record +readmitted +preview$/);
    expect(table.stderr).toContain('(the limit; there may be more)');
  });

  it('when showing a row, then phone numbers are masked unless --unmasked, and bytes that are not UTF-8 come as base64 too', async () => {
    const id = await idOf('invalid_utf8');
    const masked = await callpipe(['rejected', 'show', id, '--json'], env);
    expect(masked.code, masked.stderr).toBe(0);
    const shown = JSON.parse(masked.stdout) as { body: { validUtf8: boolean; text: string; base64: string }; masked: boolean };
    expect(shown.masked).toBe(true);
    expect(shown.body.validUtf8).toBe(false);
    expect(shown.body.text).toContain('caf\uFFFD');
    expect(shown.body.text).toContain('+86571****0001');
    expect(masked.stdout).not.toContain(CALLER);
    expect(Buffer.from(shown.body.base64, 'base64').toString('latin1')).toContain('"caf\u00e9"');
    expect(Buffer.from(shown.body.base64, 'base64').toString('latin1')).not.toContain(CALLER);

    const unmasked = JSON.parse((await callpipe(['rejected', 'show', id, '--json', '--unmasked'], env)).stdout) as typeof shown;
    expect(unmasked.body.text).toContain(CALLER);
    expect(Buffer.from(unmasked.body.base64, 'base64').toString('latin1')).toContain(CALLER);

    const human = await callpipe(['rejected', 'show', await idOf('invalid_timestamp')], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('valid UTF-8');
    expect(human.stdout).toContain('+86138****0001');
    expect(human.stdout).not.toContain(CALLED);
  });

  it('when the id is unknown, then it exits 1 with one line on stderr', async () => {
    const result = await callpipe(['rejected', 'show', '999999999'], env);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^callpipe: rejected show: no rejected push or record has the id 999999999\n$/);
  });

  it('when readmitting, then --dry-run only counts, the run stores and marks, and a second run finds nothing to do', async () => {
    const dry = await callpipe(['rejected', 'readmit', '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.split('\n').length).toBe(2);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, examined: 3, accepted: 2, stillRejected: 1 });
    expect(await database.db.selectFrom('push_deliveries').select('delivery_id').execute()).toEqual([]);

    const run = await callpipe(['rejected', 'readmit'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^readmit: 3 examined, 2 accepted and stored, 1 still rejected; 0 readmitted before \(skipped\)/);
    expect(run.stdout).toMatch(/invalid_utf8 +1 +0\n/);
    expect(run.stdout).toContain("still rejected, by the current model's code: invalid_session_id 1");

    const again = JSON.parse((await callpipe(['rejected', 'readmit', '--json'], env)).stdout) as Record<string, unknown>;
    expect(again).toMatchObject({ examined: 1, accepted: 0, stillRejected: 1, alreadyReadmitted: 2 });
    const listed = await callpipe(['rejected', 'list', '--json', '--code', 'invalid_timestamp'], env);
    const readmitted = JSON.parse(listed.stdout) as { readmittedAt: string | null; readmittedAs: string | null };
    expect(readmitted.readmittedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(readmitted.readmittedAs).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
